/** Configuration shared by the benchmarks (parsed through the real schema). */
import { parseConfig, type RuntimeConfig } from '#kernel/config';

export function benchRuntime(clusterCount = 3): RuntimeConfig {
  const clusters = Array.from({ length: clusterCount }, (_, i) => ({ name: `cluster-${i + 1}`, region: i % 2 ? 'us-east-1' : 'eu-west-1' }));
  return { config: parseConfig({ clusters, allowedGroups: ['pod-readers'] }), systemRoleArns: [] };
}

export function testRuntimeJson(): string {
  return JSON.stringify(benchRuntime(3));
}
