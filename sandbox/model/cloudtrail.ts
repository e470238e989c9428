// Stateful model of the slice of CloudTrail that decides whether IAM's calls become events: the
// account's trails (name, home region, multi-region, global service events), whether each is
// logging, and its event selectors. Methods take and return the SDK's shapes; errors are the
// SDK's own exception classes. Rules cite the CloudTrail API reference (the operation pages and
// the SDK's service model, which carries them).
import {
  CloudTrailARNInvalidException,
  InvalidHomeRegionException,
  InvalidParameterCombinationException,
  InvalidTrailNameException,
  TrailNotFoundException,
  type AdvancedEventSelector,
  type DescribeTrailsRequest,
  type DescribeTrailsResponse,
  type EventSelector,
  type GetEventSelectorsRequest,
  type GetEventSelectorsResponse,
  type GetTrailStatusRequest,
  type GetTrailStatusResponse,
  type PutEventSelectorsRequest,
  type PutEventSelectorsResponse,
  type StartLoggingRequest,
  type StopLoggingRequest,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { iamRegion, partitionOf } from '#kernel/partition';
import { advancedSelects, basicSelects, type RecordedCall } from './cloudtrail-selectors.ts';

export type { RecordedCall } from './cloudtrail-selectors.ts';
import { count } from './errors.ts';

const meta = () => ({ $metadata: {} });

export interface TrailSeed {
  name: string;
  homeRegion: string;
  isMultiRegionTrail?: boolean;
  /** Default true (CreateTrail: "IncludeGlobalServiceEvents … The default is true"). */
  includeGlobalServiceEvents?: boolean;
  s3BucketName: string;
  logging?: boolean;
  eventSelectors?: EventSelector[];
  advancedEventSelectors?: AdvancedEventSelector[];
}

interface TrailState {
  name: string;
  homeRegion: string;
  multiRegion: boolean;
  includeGlobal: boolean;
  s3BucketName: string;
  logging: boolean;
  startLoggingTime?: Date;
  stopLoggingTime?: Date;
  basic?: EventSelector[];
  advanced?: AdvancedEventSelector[];
  customSelectors: boolean;
}

/**
 * The default selector of a trail created without one: all management events, read and write
 * (CloudTrail API reference, EventSelector: "By default, trails created without specific event
 * selectors will be configured to log all read and write management events, and no data events").
 */
const DEFAULT_SELECTORS: EventSelector[] = [{ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }];

// Trail names (CloudTrail API reference, InvalidTrailNameException): ASCII letters, digits, '.', '_'
// or '-'; starting and ending with a letter or digit; 3 to 128 characters; no two adjacent
// punctuation characters; not an IP address.
const TRAIL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-]))*[A-Za-z0-9]$/;
const TRAIL_ARN = /^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

function nameError(name: string): InvalidTrailNameException | undefined {
  if (name.length >= 3 && name.length <= 128 && TRAIL_NAME.test(name) && !/^\d+\.\d+\.\d+\.\d+$/.test(name)) return undefined;
  return new InvalidTrailNameException({
    message: `Trail name ${name} is invalid: it must contain only ASCII letters, numbers, periods, underscores or dashes, start and end with a letter or number, have 3 to 128 characters, have no adjacent periods, underscores or dashes and not be an IP address.`,
    ...meta(),
  });
}

const notFound = (name: string, account: string) =>
  new TrailNotFoundException({ message: `Unknown trail: ${name} for the user: ${account}`, ...meta() });

export class CloudTrailModel {
  readonly calls = new Map<string, number>();
  private readonly trails = new Map<string, TrailState>();

  constructor(
    readonly accountId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates a trail as CreateTrail + StartLogging would leave it (logging unless `logging: false`). */
  addTrail(seed: TrailSeed): void {
    const e = nameError(seed.name);
    if (e) throw e;
    const advanced = seed.advancedEventSelectors;
    this.trails.set(`${seed.homeRegion}/${seed.name}`, {
      name: seed.name,
      homeRegion: seed.homeRegion,
      multiRegion: seed.isMultiRegionTrail ?? false,
      // A multi-region trail always includes global service events (CloudTrail User Guide, "Global service events").
      includeGlobal: (seed.isMultiRegionTrail ?? false) || (seed.includeGlobalServiceEvents ?? true),
      s3BucketName: seed.s3BucketName,
      logging: seed.logging ?? true,
      ...(seed.logging === false ? {} : { startLoggingTime: this.now() }),
      ...(advanced ? { advanced: structuredClone(advanced) } : { basic: structuredClone(seed.eventSelectors ?? DEFAULT_SELECTORS) }),
      customSelectors: advanced !== undefined || seed.eventSelectors !== undefined,
    });
  }

  /** Removes a trail (what DeleteTrail does); for tests that need an account without one. */
  deleteTrail(homeRegion: string, name: string): void {
    if (!this.trails.delete(`${homeRegion}/${name}`)) throw notFound(name, this.accountId);
  }

  /**
   * DescribeTrails (CloudTrail API reference): the trails of the current Region and, with
   * `includeShadowTrails` true or absent (the default), the shadow trails — the replication in this
   * Region of a multi-region trail created in another. Names match only trails whose home is this
   * Region; a trail of another Region is named by its ARN.
   */
  describeTrails(region: string, input: DescribeTrailsRequest = {}): DescribeTrailsResponse {
    return this.call('DescribeTrails', () => {
      const shadows = input.includeShadowTrails ?? true;
      const visible = [...this.trails.values()].filter((t) => t.homeRegion === region || (shadows && t.multiRegion && partitionOf(t.homeRegion) === partitionOf(region)));
      const names = input.trailNameList ?? [];
      if (names.length === 0) return { trailList: visible.map((t) => this.toTrail(t)) };
      const found: TrailState[] = [];
      for (const n of names) {
        const t = this.lookup(region, n, { shadowsByArn: true, optional: true });
        if (t && !found.includes(t)) found.push(t);
      }
      return { trailList: found.map((t) => this.toTrail(t)) };
    });
  }

  /**
   * GetTrailStatus: "This operation returns trail status from a single Region … To get the status
   * of a shadow trail … you must specify its ARN" (CloudTrail API reference, GetTrailStatus).
   */
  getTrailStatus(region: string, input: GetTrailStatusRequest): GetTrailStatusResponse {
    return this.call('GetTrailStatus', () => {
      const t = this.lookup(region, input.Name ?? '', { shadowsByArn: true })!;
      const iso = (d?: Date) => d?.toISOString().replace(/\.\d{3}Z$/, 'Z');
      return {
        IsLogging: t.logging,
        ...(t.startLoggingTime ? { StartLoggingTime: t.startLoggingTime, TimeLoggingStarted: iso(t.startLoggingTime) } : {}),
        ...(t.stopLoggingTime ? { StopLoggingTime: t.stopLoggingTime, TimeLoggingStopped: iso(t.stopLoggingTime) } : {}),
        // A logging trail delivers log files about every 5 minutes (CloudTrail User Guide, "CloudTrail
        // concepts"): the sandbox reports the last delivery as now while logging.
        ...(t.logging ? { LatestDeliveryTime: this.now(), LatestDeliveryAttemptTime: iso(this.now()), LatestDeliveryAttemptSucceeded: iso(this.now()) } : {}),
      };
    });
  }

  /** GetEventSelectors: basic or advanced selectors, never both (CloudTrail API reference, GetEventSelectors). */
  getEventSelectors(region: string, input: GetEventSelectorsRequest): GetEventSelectorsResponse {
    return this.call('GetEventSelectors', () => {
      const t = this.lookup(region, input.TrailName ?? '', { shadowsByArn: true })!;
      return { TrailARN: this.arn(t), ...(t.advanced ? { AdvancedEventSelectors: structuredClone(t.advanced) } : { EventSelectors: structuredClone(t.basic ?? []) }) };
    });
  }

  /**
   * PutEventSelectors replaces the trail's selectors; basic and advanced are exclusive, and a
   * multi-region trail is updated from its home Region only (CloudTrail API reference,
   * PutEventSelectors: InvalidHomeRegionException).
   */
  putEventSelectors(region: string, input: PutEventSelectorsRequest): PutEventSelectorsResponse {
    return this.call('PutEventSelectors', () => {
      const t = this.lookup(region, input.TrailName ?? '', { homeOnly: true })!;
      const basic = input.EventSelectors;
      const advanced = input.AdvancedEventSelectors;
      if ((basic === undefined) === (advanced === undefined)) {
        throw new InvalidParameterCombinationException({ message: 'Specify either EventSelectors or AdvancedEventSelectors, not both and not neither.', ...meta() });
      }
      if (advanced) {
        t.advanced = structuredClone(advanced);
        delete t.basic;
      } else {
        t.basic = (basic ?? []).map((s) => ({ ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [], ...s }));
        delete t.advanced;
      }
      t.customSelectors = true;
      return { TrailARN: this.arn(t), ...(t.advanced ? { AdvancedEventSelectors: structuredClone(t.advanced) } : { EventSelectors: structuredClone(t.basic ?? []) }) };
    });
  }

  /**
   * StartLogging / StopLogging: "For a trail that is enabled in all Regions, this operation must be
   * called from the Region in which the trail was created … cannot be called on the shadow trails"
   * (CloudTrail API reference, StartLogging, StopLogging: InvalidHomeRegionException).
   */
  startLogging(region: string, input: StartLoggingRequest): Record<string, never> {
    return this.call('StartLogging', () => {
      const t = this.lookup(region, input.Name ?? '', { homeOnly: true })!;
      if (!t.logging) {
        t.logging = true;
        t.startLoggingTime = this.now();
      }
      return {};
    });
  }

  stopLogging(region: string, input: StopLoggingRequest): Record<string, never> {
    return this.call('StopLogging', () => {
      const t = this.lookup(region, input.Name ?? '', { homeOnly: true })!;
      if (t.logging) {
        t.logging = false;
        t.stopLoggingTime = this.now();
      }
      return {};
    });
  }

  /**
   * The trails that record `call`: logging, covering the call's Region (a multi-region trail
   * covers every Region of its partition; another trail only its home Region), including global
   * service events when the call is a global service's (CloudTrail User Guide, "Global service
   * events": IAM's events are recorded in us-east-1 by trails that include them), and whose event
   * selectors select it (basic: management events of the read/write type; advanced: every field
   * selector of one selector matches).
   */
  recordingTrails(call: RecordedCall): string[] {
    return [...this.trails.values()]
      .filter((t) => t.logging)
      .filter((t) => (t.multiRegion ? partitionOf(t.homeRegion) === partitionOf(call.region) : t.homeRegion === call.region))
      .filter((t) => !call.global || t.includeGlobal)
      .filter((t) => (t.advanced ? t.advanced.some((s) => advancedSelects(s, call)) : (t.basic ?? []).some((s) => basicSelects(s, call))))
      .map((t) => this.arn(t));
  }

  /** Whether an IAM write is recorded anywhere: the condition for its EventBridge event (sandbox/eventbridge.ts). */
  recordsIamWrite(eventName: string, partitionRegion = 'us-east-1'): boolean {
    const region = iamRegion(partitionOf(partitionRegion));
    return this.recordingTrails({ region, eventSource: 'iam.amazonaws.com', eventName, readOnly: false, global: true }).length > 0;
  }

  private arn(t: TrailState): string {
    return `arn:${partitionOf(t.homeRegion)}:cloudtrail:${t.homeRegion}:${this.accountId}:trail/${t.name}`;
  }

  /**
   * A trail by name (this Region's trails only) or by ARN (any Region; a malformed ARN is
   * CloudTrailARNInvalidException). `homeOnly`: a trail named by ARN from another Region is
   * InvalidHomeRegionException, as StartLogging/StopLogging/PutEventSelectors answer.
   */
  private lookup(region: string, nameOrArn: string, opts: { shadowsByArn?: boolean; homeOnly?: boolean; optional?: boolean }): TrailState | undefined {
    if (nameOrArn.startsWith('arn:')) {
      const m = TRAIL_ARN.exec(nameOrArn);
      if (!m) throw new CloudTrailARNInvalidException({ message: `Invalid arn: ${nameOrArn}`, ...meta() });
      const [, , home, account, name] = m as unknown as [string, string, string, string, string];
      const t = account === this.accountId ? this.trails.get(`${home}/${name}`) : undefined;
      const visibleHere = t && (t.homeRegion === region || (t.multiRegion && partitionOf(t.homeRegion) === partitionOf(region)));
      if (!t || !visibleHere) {
        if (opts.optional) return undefined;
        throw notFound(nameOrArn, this.accountId);
      }
      if (opts.homeOnly && t.homeRegion !== region) {
        throw new InvalidHomeRegionException({ message: `The trail ${nameOrArn} cannot be updated from ${region}: call this operation in its home Region, ${t.homeRegion}.`, ...meta() });
      }
      return t;
    }
    const invalid = nameError(nameOrArn);
    if (invalid) throw invalid;
    const t = this.trails.get(`${region}/${nameOrArn}`);
    if (!t) {
      if (opts.optional) return undefined;
      throw notFound(nameOrArn, this.accountId);
    }
    return t;
  }

  private toTrail(t: TrailState): Trail {
    return {
      Name: t.name,
      S3BucketName: t.s3BucketName,
      IncludeGlobalServiceEvents: t.includeGlobal,
      IsMultiRegionTrail: t.multiRegion,
      HomeRegion: t.homeRegion,
      TrailARN: this.arn(t),
      LogFileValidationEnabled: true,
      HasCustomEventSelectors: t.customSelectors,
      HasInsightSelectors: false,
      IsOrganizationTrail: false,
    };
  }

  private call<T>(operation: string, run: () => T): T {
    count(this.calls, operation);
    return run();
  }
}
