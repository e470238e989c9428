import { describe, expect, it } from 'vitest';
import { grantableLevels, identityCenterInstance, parseConfig, parseRuntimeConfig } from '#kernel/config';
import { accessEntryUsernameProblem } from '#kernel/username';
import { accessEntryLimit } from '#kernel/quotas';
import { clusterUnmanagedReason } from '#access/domain/clusters';

const clusters = [{ name: 'prod', region: 'eu-west-1' }];

describe('parseConfig', () => {
  it('fills the documented defaults', () => {
    const c = parseConfig({ clusters });
    expect(c).toMatchObject({ homeRegion: 'us-east-1', ceiling: 'edit', allowedGroups: [], protectedPrincipalArns: [], tagPrefix: 'eks-access', resyncSchedule: 'rate(30 minutes)', accessEntryHeadroomPercent: 95 });
    expect(c.levels.map((l) => l.name)).toEqual(['view', 'edit', 'admin', 'cluster-admin']);
  });

  it.each([
    [{ clusters: [{ name: 'prod', region: 'europe' }] }, 'eksAccessPilot.clusters[0].region: must be an AWS region'],
    [{ clusters: [] }, 'eksAccessPilot.clusters: list at least one managed cluster'],
    [{ clusters, ceiling: 'root' }, 'eksAccessPilot.ceiling: "root" is not one of the levels'],
    [{ clusters, protectedPrincipalArns: ['BreakGlass'] }, 'eksAccessPilot.protectedPrincipalArns[0]: must be an IAM role or user ARN'],
    [{ clusters, allowedGroups: ['system:masters'] }, 'eksAccessPilot.allowedGroups[0]: system: groups cannot be granted'],
    [{ clusters, resyncSchedule: 'every hour' }, 'eksAccessPilot.resyncSchedule: must be rate(...) or cron(...)'],
    [{ clusters, levels: [{ name: 'view', policyArn: 'AmazonEKSViewPolicy' }] }, 'eksAccessPilot.levels[0].policyArn: must be an EKS access policy ARN'],
    [{ clusters, colour: 'blue' }, 'colour'],
    [{ clusters, accessEntryHeadroomPercent: 0 }, 'eksAccessPilot.accessEntryHeadroomPercent: must be at least 1'],
    [{ clusters, accessEntryHeadroomPercent: 101 }, 'eksAccessPilot.accessEntryHeadroomPercent: must be at most 100 (the quota cannot be exceeded)'],
    [{ clusters, accessEntryHeadroomPercent: 90.5 }, 'eksAccessPilot.accessEntryHeadroomPercent: must be a whole number of percent'],
    [{ clusters, accessEntryHeadroomPercent: '90' }, 'eksAccessPilot.accessEntryHeadroomPercent: '],
    [{ clusters: [...clusters, { name: 'prod', region: 'us-east-1' }] }, 'eksAccessPilot.clusters[1].name: cluster name "prod" is used in two regions'],
    [{ clusters: [{ name: 'prod', region: 'eu-west-1', manageInApiAndConfigMap: 'yes' }] }, 'eksAccessPilot.clusters[0].manageInApiAndConfigMap: '],
    [{ clusters: [{ name: 'prod', region: 'cn-north-1' }] }, 'eksAccessPilot.clusters[0].region: "cn-north-1" is in partition aws-cn, homeRegion "us-east-1" in aws'],
    [{ clusters: [{ name: 'prod', region: 'us-iso-east-1' }] }, 'eksAccessPilot.clusters[0].region: must be a region of a supported partition (aws, aws-cn, aws-us-gov)'],
    [{ homeRegion: 'us-isob-east-1', clusters }, 'eksAccessPilot.homeRegion: must be a region of a supported partition'],
    [
      { homeRegion: 'cn-north-1', clusters: [{ name: 'prod', region: 'cn-northwest-1' }], levels: [{ name: 'view', policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy' }], ceiling: 'view' },
      'eksAccessPilot.levels[0].policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy is in partition aws, homeRegion "cn-north-1" in aws-cn: one deployment works within its own partition (use arn:aws-cn:eks::aws:cluster-access-policy/…)',
    ],
    [
      { homeRegion: 'us-gov-west-1', clusters: [{ name: 'prod', region: 'us-gov-east-1' }], protectedPrincipalArns: ['arn:aws:iam::111122223333:role/BreakGlass'] },
      'eksAccessPilot.protectedPrincipalArns[0]: arn:aws:iam::111122223333:role/BreakGlass is in partition aws, homeRegion "us-gov-west-1" in aws-us-gov',
    ],
  ])('rejects %j naming the field', (input, message) => {
    expect(() => parseConfig(input)).toThrow(message);
  });

  it.each([
    ['us-east-1', 'eu-west-1', 'aws'],
    ['cn-northwest-1', 'cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'us-gov-east-1', 'aws-us-gov'],
  ])('defaults the levels to the access policies of the home region %s (%s cluster), partition %s', (homeRegion, region, partition) => {
    const c = parseConfig({ homeRegion, clusters: [{ name: 'prod', region }] });
    expect(c.levels).toEqual(
      ['view', 'edit', 'admin', 'cluster-admin'].map((name, i) => ({
        name,
        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${['AmazonEKSViewPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSAdminPolicy', 'AmazonEKSClusterAdminPolicy'][i]}`,
      })),
    );
    // The functions parse the configuration again at cold start: the filled-in levels survive.
    expect(parseRuntimeConfig(JSON.stringify({ config: c })).config.levels).toEqual(c.levels);
  });

  it('takes levels of the home partition as given', () => {
    const levels = [{ name: 'view', policyArn: 'arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy' }];
    expect(parseConfig({ homeRegion: 'cn-north-1', clusters: [{ name: 'prod', region: 'cn-north-1' }], levels, ceiling: 'view' }).levels).toEqual(levels);
  });

  it('takes an access-entry headroom from 1 to 100 %: the tag side then stops at floor(3,000 × percent / 100) entries', () => {
    expect(parseConfig({ clusters, accessEntryHeadroomPercent: 100 }).accessEntryHeadroomPercent).toBe(100);
    expect(accessEntryLimit(parseConfig({ clusters }).accessEntryHeadroomPercent)).toBe(2850);
    expect(accessEntryLimit(1)).toBe(30);
    expect(accessEntryLimit(33)).toBe(990);
  });

  it('lists the grantable levels from the lowest up to the ceiling', () => {
    expect(grantableLevels(parseConfig({ clusters, ceiling: 'view' })).map((l) => l.name)).toEqual(['view']);
    expect(grantableLevels(parseConfig({ clusters, ceiling: 'admin' })).map((l) => l.name)).toEqual(['view', 'edit', 'admin']);
  });
});

describe('parseConfig: identityCenter', () => {
  const instanceArn = 'arn:aws:sso:::instance/ssoins-1234567890abcdef';
  const readRoleArn = 'arn:aws:iam::999988887777:role/eks-access-pilot-identity-center-read';
  const instance = { instanceArn, region: 'eu-west-1', readRoleArn };
  const permissionSets = [{ name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } }];

  it('is off unless given; given, the username defaults to sso:{{SessionName}}', () => {
    expect(parseConfig({ clusters }).identityCenter).toBeUndefined();
    expect(parseConfig({ clusters, identityCenter: instance }).identityCenter).toEqual({ ...instance, username: 'sso:{{SessionName}}' });
    expect(parseConfig({ clusters, identityCenter: { permissionSets } }).identityCenter).toEqual({ permissionSets, username: 'sso:{{SessionName}}' });
    expect(parseConfig({ clusters, identityCenter: { ...instance, permissionSets, username: 'idc:{{SessionNameRaw}}' } }).identityCenter?.username).toBe('idc:{{SessionNameRaw}}');
  });

  it('names the instance only when all three of its fields are given', () => {
    expect(identityCenterInstance(parseConfig({ clusters, identityCenter: instance }))).toEqual(instance);
    expect(identityCenterInstance(parseConfig({ clusters, identityCenter: { permissionSets } }))).toBeUndefined();
  });

  it('takes a static permission set whose tags break the tag contract: they are checked when used, like a role\'s', () => {
    expect(parseConfig({ clusters, identityCenter: { permissionSets: [{ name: 'Odd', tags: { 'eks-access': 'root' } }] } }).identityCenter?.permissionSets).toHaveLength(1);
  });

  it.each([
    [{ ...instance, instanceArn: 'ssoins-1234567890abcdef' }, 'eksAccessPilot.identityCenter.instanceArn: must be an IAM Identity Center instance ARN'],
    [{ ...instance, instanceArn: 'arn:aws:sso:::instance/ssoins-123' }, 'eksAccessPilot.identityCenter.instanceArn: must be an IAM Identity Center instance ARN'],
    [{ ...instance, region: 'europe' }, 'eksAccessPilot.identityCenter.region: must be an AWS region'],
    [{ ...instance, readRoleArn: 'arn:aws:iam::999988887777:user/reader' }, 'eksAccessPilot.identityCenter.readRoleArn: must be an IAM role ARN'],
    [{ instanceArn }, 'eksAccessPilot.identityCenter.region: required with instanceArn: instanceArn, region and readRoleArn come together'],
    [{ instanceArn, region: 'eu-west-1', permissionSets }, 'eksAccessPilot.identityCenter.readRoleArn: required with instanceArn and region'],
    [{ readRoleArn }, 'eksAccessPilot.identityCenter.instanceArn: required with readRoleArn'],
    [{}, 'eksAccessPilot.identityCenter: give instanceArn, region and readRoleArn (to read the permission sets), or permissionSets, or both'],
    [{ username: 'sso:{{SessionName}}' }, 'eksAccessPilot.identityCenter: give instanceArn, region and readRoleArn'],
    [{ permissionSets: [] }, 'eksAccessPilot.identityCenter.permissionSets: list at least one permission set, or leave permissionSets out'],
    [{ permissionSets: [{ name: 'Platform ReadOnly', tags: {} }] }, 'eksAccessPilot.identityCenter.permissionSets[0].name: must be a permission set name'],
    [{ permissionSets: [{ name: 'x'.repeat(33), tags: {} }] }, 'eksAccessPilot.identityCenter.permissionSets[0].name: must be a permission set name'],
    [{ permissionSets: [{ name: 'A', tags: {} }, { name: 'A', tags: {} }] }, 'eksAccessPilot.identityCenter.permissionSets[1].name: duplicate permission set "A"'],
    [{ permissionSets: [{ name: 'A', tags: { 'eks-access': 'view', 'EKS-Access': 'edit' } }] }, 'eksAccessPilot.identityCenter.permissionSets[0].tags.EKS-Access: the same key as "eks-access"'],
    [{ permissionSets: [{ name: 'A' }] }, 'eksAccessPilot.identityCenter.permissionSets[0].tags: '],
    [{ permissionSets: [{ name: 'A', tags: { 'eks-access': 1 } }] }, 'eksAccessPilot.identityCenter.permissionSets[0].tags.eks-access: '],
    [{ permissionSets, colour: 'blue' }, 'colour'],
    [{ permissionSets, username: 'sso{{SessionName}}' }, 'eksAccessPilot.identityCenter.username: EKS requires a ":" somewhere before {{SessionName}}'],
    [{ permissionSets, username: 'system:{{SessionName}}' }, 'eksAccessPilot.identityCenter.username: EKS rejects access entry usernames starting with "system:"'],
    [{ permissionSets, username: 'iam:{{SessionName}}' }, 'eksAccessPilot.identityCenter.username: EKS rejects access entry usernames starting with "iam:"'],
    [{ permissionSets, username: 'sso:{{AccountID}}' }, 'eksAccessPilot.identityCenter.username: EKS access entry usernames accept only {{SessionName}} and {{SessionNameRaw}}, not {{AccountID}}'],
    [{ permissionSets, username: '' }, 'eksAccessPilot.identityCenter.username: must not be empty'],
    [{ ...instance, instanceArn: 'arn:aws-cn:sso:::instance/ssoins-1234567890abcdef' }, 'eksAccessPilot.identityCenter.instanceArn: arn:aws-cn:sso:::instance/ssoins-1234567890abcdef is in partition aws-cn, homeRegion "us-east-1" in aws'],
    [{ ...instance, readRoleArn: 'arn:aws-us-gov:iam::999988887777:role/reader' }, 'eksAccessPilot.identityCenter.readRoleArn: arn:aws-us-gov:iam::999988887777:role/reader is in partition aws-us-gov'],
    [{ ...instance, region: 'cn-north-1' }, 'eksAccessPilot.identityCenter.region: "cn-north-1" is in partition aws-cn, homeRegion "us-east-1" in aws'],
  ])('rejects identityCenter %j naming the field', (identityCenter, message) => {
    expect(() => parseConfig({ clusters, identityCenter })).toThrow(message);
  });

  it('survives the functions\' second parse at cold start', () => {
    const c = parseConfig({ clusters, identityCenter: { ...instance, permissionSets } });
    expect(parseRuntimeConfig(JSON.stringify({ config: c })).config.identityCenter).toEqual(c.identityCenter);
  });
});

describe('accessEntryUsernameProblem', () => {
  it.each([['sso:{{SessionName}}'], ['jo:hn{{SessionName}}'], ['idc:{{SessionNameRaw}}'], ['platform-readers'], ['a:b']])('accepts %s', (u) => {
    expect(accessEntryUsernameProblem(u)).toBeUndefined();
  });
  it.each([['eks:x'], ['aws:{{SessionName}}'], ['amazon:x'], ['{{SessionName}}'], ['sso-{{SessionName}}:'], ['sso:{{EC2PrivateDNSName}}']])('refuses %s', (u) => {
    expect(accessEntryUsernameProblem(u)).toBeDefined();
  });
});

describe('parseRuntimeConfig', () => {
  it('fails at cold start, naming what is wrong', () => {
    expect(() => parseRuntimeConfig(undefined)).toThrow('EAP_CONFIG is not set');
    expect(() => parseRuntimeConfig('{')).toThrow('EAP_CONFIG is not valid JSON');
    expect(() => parseRuntimeConfig(JSON.stringify({ config: { clusters: [{ name: 'x' }] } }))).toThrow('config.clusters[0].region');
  });
});

describe('clusterUnmanagedReason', () => {
  it('manages API clusters, API_AND_CONFIG_MAP clusters only when opted in, and never CONFIG_MAP ones', () => {
    const [cluster] = parseConfig({ clusters }).clusters;
    const optedIn = { ...cluster!, manageInApiAndConfigMap: true };
    expect(clusterUnmanagedReason(cluster!, 'API')).toBeUndefined();
    expect(clusterUnmanagedReason(cluster!, 'API_AND_CONFIG_MAP')).toContain("an access entry would override the principal's aws-auth mapping");
    expect(clusterUnmanagedReason(optedIn, 'API_AND_CONFIG_MAP')).toBeUndefined();
    expect(clusterUnmanagedReason(optedIn, 'CONFIG_MAP')).toContain('does not accept access entries');
    expect(clusterUnmanagedReason(optedIn, undefined)).toContain('does not accept access entries');
  });
});

describe('time-bound access options', () => {
  it('are off by default', () => {
    const c = parseConfig({ clusters });
    expect(c.maxAccessDuration).toBeUndefined();
    expect(c.requireExpiryAbove).toBeUndefined();
  });

  it('accept an ISO-8601 duration in fixed units and one of the levels', () => {
    for (const d of ['PT12H', 'P7D', 'P1W', 'P1DT12H', 'PT30M', 'PT90S']) expect(parseConfig({ clusters, maxAccessDuration: d }).maxAccessDuration).toBe(d);
    expect(parseConfig({ clusters, requireExpiryAbove: 'view' }).requireExpiryAbove).toBe('view');
  });

  it.each([
    [{ maxAccessDuration: '12h' }, 'eksAccessPilot.maxAccessDuration: "12h" is not an ISO-8601 duration'],
    [{ maxAccessDuration: 'P1M' }, 'eksAccessPilot.maxAccessDuration: "P1M" uses years or months'],
    [{ maxAccessDuration: 'P1Y' }, 'eksAccessPilot.maxAccessDuration: "P1Y" uses years or months'],
    [{ maxAccessDuration: 'PT' }, 'eksAccessPilot.maxAccessDuration: "PT" is not an ISO-8601 duration'],
    [{ maxAccessDuration: 'P' }, 'eksAccessPilot.maxAccessDuration: "P" is not an ISO-8601 duration'],
    [{ maxAccessDuration: 'PT0H' }, 'eksAccessPilot.maxAccessDuration: "PT0H" is zero'],
    [{ maxAccessDuration: 12 }, 'eksAccessPilot.maxAccessDuration: '],
    [{ requireExpiryAbove: 'root' }, 'eksAccessPilot.requireExpiryAbove: "root" is not one of the levels (view, edit, admin, cluster-admin)'],
    [{ requireExpiryAbove: 'none' }, 'eksAccessPilot.requireExpiryAbove: "none" is reserved'],
  ])('name the field of a wrong value: %j', (extra, message) => {
    expect(() => parseConfig({ clusters, ...extra })).toThrow(message);
  });
});
