// The deployed app as the sandbox reads it back from the synthesized templates (sandbox/iam/deployed.ts).
import { describe, expect, it } from 'vitest';
import { synthesizeDeployedApp } from '#sandbox/iam/deployed';

const REGIONS = ['eu-west-1', 'us-east-1'];
const clusters = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${String(i + 1).padStart(2, '0')}`, region: REGIONS[i % 2]! }));
const statementIds = (app: ReturnType<typeof synthesizeDeployedApp>, part: string) =>
  [...app.roles.values()].find((r) => r.name.includes(part))!.policies.flatMap((p) => p.document.Statement.map((s) => s.Sid));

describe('synthesizeDeployedApp', () => {
  it("keeps every statement of a role whose policy CDK split into overflow managed policies (many clusters)", () => {
    const small = statementIds(synthesizeDeployedApp({ homeRegion: 'eu-west-1', clusters: clusters(1) }, { accountId: '111122223333' }), 'TagProvisioningResyncRole');
    const large = statementIds(synthesizeDeployedApp({ homeRegion: 'eu-west-1', clusters: clusters(10) }, { accountId: '111122223333' }), 'TagProvisioningResyncRole');
    expect(large).toContain('ListPrincipalsWithTags');
    expect(new Set(large.filter(Boolean))).toEqual(new Set(small.filter(Boolean)));
  });

  it('names each function, its role and its environment, and the state machine with its substitutions', () => {
    const app = synthesizeDeployedApp({ homeRegion: 'eu-west-1', clusters: clusters(1) }, { accountId: '111122223333' });
    const provisioner = app.functions.find((f) => f.logicalId.startsWith('TagProvisioningProvisionerFunction'))!;
    expect(provisioner.roleName).toMatch(/TagProvisioningProvisionerRole/);
    expect(JSON.parse(provisioner.environment.EAP_CONFIG!)).toMatchObject({ config: { clusters: [{ name: 'c01', region: 'eu-west-1' }] } });
    const sm = app.stateMachines.get('eks-access-pilot-auth-mode-migration')!;
    expect(sm.substitutions.ValidateInputFunctionArn).toMatch(/^arn:aws:lambda:eu-west-1:111122223333:function:/);
    expect(app.resourcePolicies.has(`arn:aws:s3:::${sm.substitutions.BackupBucket}`)).toBe(true);
  });
});
