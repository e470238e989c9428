// Placeholder: replaced by the real provisioner handler.
export const handler = async (): Promise<void> => {};
