/**
 * A ConfigMap as `kubectl get cm aws-auth -n kube-system -o yaml` prints it: each data value
 * a `|` block. Line numbers: `apiVersion` 1, `data:` 2, the first data key 3, its first
 * list line 4; each later key starts on the line after the previous value.
 */
export function cm(data: Record<string, string>): string {
  const body = Object.entries(data)
    .map(([k, v]) => `  ${k}: |\n${v.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}\n`)
    .join('');
  return `apiVersion: v1\ndata:\n${body}kind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n  resourceVersion: "4711"\n`;
}
