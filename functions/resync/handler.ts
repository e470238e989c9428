// Placeholder: replaced by the real resync handler.
export const handler = async (): Promise<void> => {};
