// The access-entries adapter against the sandbox's EKS model, where UpdateAccessEntry resets
// what a request leaves out (hashicorp/terraform-provider-aws#36480): an entry the tag side made
// (no username) keeps EKS's default username across group updates, and its groups are exactly
// the last ones sent.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessEntries } from '#platform/access-entries';
import { ACCOUNT, REGION, createWorld, type World } from '../sandbox/world.ts';

let w: World;
beforeEach(() => {
  w = createWorld();
  w.model.eks.addCluster({ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.5' });
});
afterEach(() => w.mocks.restore());

describe('accessEntries.updateGroups (platform) on the EKS model', () => {
  it("replaces the groups of an entry created without a username and leaves it EKS's default username", async () => {
    const arn = await w.createRole('dev', '/teams/');
    const entries = accessEntries(w.eks, 'prod');
    await entries.create({ principalArn: arn, kubernetesGroups: ['readers'], tags: {} });

    await entries.updateGroups(arn, ['writers']);
    expect(await entries.describe(arn)).toMatchObject({ kubernetesGroups: ['writers'], username: `arn:aws:sts::${ACCOUNT}:assumed-role/dev/{{SessionName}}` });

    await entries.updateGroups(arn, []);
    expect(await entries.describe(arn)).toMatchObject({ kubernetesGroups: [], username: `arn:aws:sts::${ACCOUNT}:assumed-role/dev/{{SessionName}}` });
  });
});
