/**
 * Check "trail": IAM's calls reach EventBridge only as CloudTrail events, recorded in us-east-1
 * (IAM is a global service: CloudTrail User Guide, "Global service events" — a multi-region trail,
 * or a us-east-1 trail that includes global service events), and EventBridge receives the
 * "AWS API Call via CloudTrail" events of a trail that is logging (EventBridge User Guide, "AWS
 * service events delivered via AWS CloudTrail"; the design brief, section 1). So at least one
 * trail visible in us-east-1 must be logging and record write management events.
 *
 * DescribeTrails with includeShadowTrails (the default) also lists the multi-region and
 * organization trails whose home is another region (CloudTrail API reference, DescribeTrails);
 * GetTrailStatus and GetEventSelectors take such a trail's ARN.
 */
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type AdvancedEventSelector,
  type EventSelector,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { IAM_EVENTS_REGION } from '#infra/stacks/forwarder';
import { fail, guarded, pass, type CheckResult } from './check.ts';

const ID = 'trail';

/** Basic selectors: management events are on unless IncludeManagementEvents is false; write = All or WriteOnly. */
function basicRecordsWrites(selectors: readonly EventSelector[]): boolean {
  return selectors.some((s) => s.IncludeManagementEvents !== false && (s.ReadWriteType ?? 'All') !== 'ReadOnly');
}

/**
 * Advanced selectors (CloudTrail API reference, AdvancedFieldSelector): a selector for management
 * events has `eventCategory` Equals `Management`; `readOnly` Equals `true` keeps only reads; an
 * `eventSource` field can leave IAM out.
 */
function advancedRecordsIamWrites(selectors: readonly AdvancedEventSelector[]): boolean {
  return selectors.some((s) => {
    const field = (name: string) => s.FieldSelectors?.find((f) => f.Field === name);
    if (!field('eventCategory')?.Equals?.includes('Management')) return false;
    if (field('readOnly')?.Equals?.includes('true')) return false;
    const source = field('eventSource');
    if (source?.Equals && !source.Equals.includes('iam.amazonaws.com')) return false;
    if (source?.NotEquals?.includes('iam.amazonaws.com')) return false;
    return true;
  });
}

interface TrailState {
  trail: Trail;
  logging: boolean;
  writes: boolean;
}

async function stateOf(trail: Trail): Promise<TrailState> {
  const client = new CloudTrailClient({ region: trail.HomeRegion ?? IAM_EVENTS_REGION });
  const name = trail.TrailARN ?? trail.Name;
  const [status, selectors] = await Promise.all([
    client.send(new GetTrailStatusCommand({ Name: name })),
    client.send(new GetEventSelectorsCommand({ TrailName: name })),
  ]);
  const writes = selectors.AdvancedEventSelectors?.length
    ? advancedRecordsIamWrites(selectors.AdvancedEventSelectors)
    : basicRecordsWrites(selectors.EventSelectors ?? []);
  return { trail, logging: status.IsLogging === true, writes };
}

function label(t: Trail): string {
  const scope = t.IsOrganizationTrail ? 'organization trail' : t.IsMultiRegionTrail ? 'multi-region trail' : `trail in ${t.HomeRegion}`;
  return `${t.Name} (${scope})`;
}

export function trailCheck(): Promise<CheckResult[]> {
  return guarded(ID, 'cloudtrail:DescribeTrails, GetTrailStatus and GetEventSelectors', async () => {
    const client = new CloudTrailClient({ region: IAM_EVENTS_REGION });
    const { trailList = [] } = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    // Only trails that record us-east-1's global service events see IAM's calls.
    const candidates = trailList.filter((t) => t.IsMultiRegionTrail || (t.HomeRegion === IAM_EVENTS_REGION && t.IncludeGlobalServiceEvents !== false));
    const states = await Promise.all(candidates.map(stateOf));
    const good = states.find((s) => s.logging && s.writes);
    if (good) return pass(ID, `${label(good.trail)} logs write management events, IAM's included`);
    const create = `aws cloudtrail create-trail --name eks-access-pilot --s3-bucket-name <bucket> --is-multi-region-trail && aws cloudtrail start-logging --name eks-access-pilot`;
    if (states.length === 0) {
      return fail(ID, 'no trail records IAM events (none is multi-region, none in us-east-1 with global service events): no tag change will ever reach the provisioner', create);
    }
    const stopped = states.find((s) => !s.logging && s.writes);
    if (stopped) {
      return fail(ID, `${label(stopped.trail)} is not logging: IAM events stop at CloudTrail and no tag change reaches the provisioner`, `aws cloudtrail start-logging --name ${stopped.trail.TrailARN ?? stopped.trail.Name} --region ${stopped.trail.HomeRegion ?? IAM_EVENTS_REGION}`);
    }
    const names = states.map((s) => label(s.trail)).join(', ');
    return fail(ID, `${names}: no trail records IAM's write management events (check its event selectors)`, `aws cloudtrail put-event-selectors --trail-name <trail> --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]', or ${create}`);
  });
}
