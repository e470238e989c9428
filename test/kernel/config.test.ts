import { describe, expect, it } from 'vitest';
import { grantableLevels, parseConfig, parseRuntimeConfig } from '#kernel/config';
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
