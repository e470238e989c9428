// Stateful model of EventBridge's rules: per Region and event bus, each rule's pattern or schedule,
// state and targets, with the reads `doctor` makes and the writes that break delivery (delete,
// disable, remove targets). The sandbox's delivery (sandbox/eventbridge.ts) asks this model which
// rules match an event, so a deleted or disabled rule stops delivery as it does in AWS. Rules cite
// the EventBridge API reference (operation pages, carried by the SDK's service model).
import {
  EventBridgeServiceException,
  InvalidEventPatternException,
  ResourceNotFoundException,
  type TestEventPatternRequest,
  type TestEventPatternResponse,
  type DeleteRuleRequest,
  type DescribeRuleRequest,
  type DescribeRuleResponse,
  type DisableRuleRequest,
  type EnableRuleRequest,
  type ListRulesRequest,
  type ListRulesResponse,
  type ListTargetsByRuleRequest,
  type ListTargetsByRuleResponse,
  type RemoveTargetsRequest,
  type RemoveTargetsResponse,
  type Rule,
  type RuleState,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { partitionOf } from '#kernel/partition';
import { matchesPattern, type EventPattern } from '#sandbox/event-pattern';
import { constraintMessage, count, decodeToken, encodeToken } from './errors.ts';

const meta = () => ({ $metadata: {} });

/**
 * Codes EventBridge answers that its service model does not declare, as the SDK surfaces them: the
 * base exception with the code as its name. `ValidationException` for a rule that still has
 * targets ("Rule can't be deleted since it has targets.", quoted in
 * hashicorp/terraform-provider-aws#18519 and moto#5056); `InvalidToken` for a bad NextToken
 * (EventBridge API reference, ListRules: "an HTTP 400 InvalidToken error").
 */
const undeclared = (name: string, message: string) => new EventBridgeServiceException({ name, $fault: 'client', message, ...meta() });

export interface RuleSeed {
  name: string;
  region: string;
  eventBusName?: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state?: RuleState;
  description?: string;
  roleArn?: string;
  targets?: Target[];
}

interface RuleRecord {
  name: string;
  region: string;
  bus: string;
  pattern?: string;
  schedule?: string;
  state: RuleState;
  description?: string;
  roleArn?: string;
  targets: Target[];
}

/** A rule an event matched, with its targets: what delivery sends the event to. */
export interface MatchedRule {
  arn: string;
  name: string;
  targets: Target[];
}

const DEFAULT_BUS = 'default';
// RuleName (EventBridge API reference): 1–64 of [.-_A-Za-z0-9].
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUS_ARN = /^arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:\d{12}:event-bus\/(.+)$/;

export class EventsModel {
  readonly calls = new Map<string, number>();
  private readonly rules = new Map<string, RuleRecord>();
  /** Buses other than `default` (which every Region has), by `region/name`. */
  private readonly buses = new Set<string>();

  constructor(readonly accountId: string) {}

  /** Creates or replaces a rule and its targets (what PutRule and PutTargets do; the deployment seeds them). */
  putRule(seed: RuleSeed): string {
    const bus = seed.eventBusName ?? DEFAULT_BUS;
    if (bus !== DEFAULT_BUS) this.buses.add(`${seed.region}/${bus}`);
    if (!RULE_NAME.test(seed.name)) throw undeclared('ValidationException', constraintMessage(seed.name, 'name', 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+'));
    this.rules.set(`${seed.region}/${bus}/${seed.name}`, {
      name: seed.name,
      region: seed.region,
      bus,
      ...(seed.eventPattern !== undefined ? { pattern: seed.eventPattern } : {}),
      ...(seed.scheduleExpression !== undefined ? { schedule: seed.scheduleExpression } : {}),
      state: seed.state ?? 'ENABLED',
      ...(seed.description !== undefined ? { description: seed.description } : {}),
      ...(seed.roleArn !== undefined ? { roleArn: seed.roleArn } : {}),
      targets: structuredClone(seed.targets ?? []),
    });
    return this.arn(seed.region, bus, seed.name);
  }

  /**
   * ListRules: the rules of one bus (default when EventBusName is absent), optionally by name
   * prefix, at most 100 per page (EventBridge API reference, ListRules), ordered by name.
   */
  listRules(region: string, input: ListRulesRequest = {}): ListRulesResponse {
    return this.call('ListRules', () => {
      const bus = this.bus(region, input.EventBusName);
      const prefix = input.NamePrefix ?? '';
      const all = this.onBus(region, bus).filter((r) => r.name.startsWith(prefix));
      const { items, next } = page(all, input.NextToken, input.Limit);
      return { Rules: items.map((r) => this.toRule(r)), ...(next ? { NextToken: next } : {}) };
    });
  }

  /**
   * TestEventPattern: whether the event matches the pattern (EventBridge API reference,
   * TestEventPattern: `{ "Result": boolean }`; the event's `id`, `account`, `source`, `time`,
   * `region`, `resources` and `detail-type` "are mandatory"; errors InvalidEventPatternException,
   * InternalException). Evaluated with the sandbox's matcher, so a pattern with an operator it
   * does not model is refused here rather than guessed. EventBridge's error for an event that
   * lacks a mandatory field is not documented: InvalidEventPatternException naming the field here
   * (inferred).
   */
  testEventPattern(input: TestEventPatternRequest): TestEventPatternResponse {
    return this.call('TestEventPattern', () => {
      const invalid = (message: string) => new InvalidEventPatternException({ message, ...meta() });
      let pattern: unknown;
      let event: unknown;
      try {
        pattern = JSON.parse(input.EventPattern ?? '');
      } catch {
        throw invalid('Event pattern is not valid JSON.');
      }
      try {
        event = JSON.parse(input.Event ?? '');
      } catch {
        throw invalid('Event is not valid JSON.');
      }
      const record = (typeof event === 'object' && event !== null && !Array.isArray(event) ? event : {}) as Record<string, unknown>;
      const missing = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'].find((f) => !(f in record));
      if (missing) throw invalid(`Event is missing the mandatory field ${missing}.`);
      try {
        return { Result: matchesPattern(pattern as EventPattern, event) };
      } catch (e) {
        throw invalid(`Event pattern is not valid: ${(e as Error).message}`);
      }
    });
  }

  /** DescribeRule: the rule without its targets (EventBridge API reference, DescribeRule). */
  describeRule(region: string, input: DescribeRuleRequest): DescribeRuleResponse {
    return this.call('DescribeRule', () => {
      const r = this.rule(region, input.EventBusName, input.Name);
      return { ...this.toRule(r), CreatedBy: this.accountId };
    });
  }

  /** ListTargetsByRule, at most 100 per page (EventBridge API reference, ListTargetsByRule). */
  listTargetsByRule(region: string, input: ListTargetsByRuleRequest): ListTargetsByRuleResponse {
    return this.call('ListTargetsByRule', () => {
      const r = this.rule(region, input.EventBusName, input.Rule);
      const { items, next } = page(r.targets, input.NextToken, input.Limit);
      return { Targets: structuredClone(items), ...(next ? { NextToken: next } : {}) };
    });
  }

  /**
   * DeleteRule: "Before you can delete the rule, you must remove all targets … If you call delete
   * rule multiple times for the same rule, all calls will succeed. When you call delete rule for a
   * non-existent custom eventbus, ResourceNotFoundException is returned" (EventBridge API reference,
   * DeleteRule).
   */
  deleteRule(region: string, input: DeleteRuleRequest): Record<string, never> {
    return this.call('DeleteRule', () => {
      const bus = this.bus(region, input.EventBusName);
      const key = `${region}/${bus}/${input.Name ?? ''}`;
      const r = this.rules.get(key);
      if (r?.targets.length) throw undeclared('ValidationException', "Rule can't be deleted since it has targets.");
      this.rules.delete(key);
      return {};
    });
  }

  /** DisableRule: "A disabled rule won't match any events" (EventBridge API reference, DisableRule). */
  disableRule(region: string, input: DisableRuleRequest): Record<string, never> {
    return this.call('DisableRule', () => {
      this.rule(region, input.EventBusName, input.Name).state = 'DISABLED';
      return {};
    });
  }

  /** EnableRule: "If the rule does not exist, the operation fails" (EventBridge API reference, EnableRule). */
  enableRule(region: string, input: EnableRuleRequest): Record<string, never> {
    return this.call('EnableRule', () => {
      this.rule(region, input.EventBusName, input.Name).state = 'ENABLED';
      return {};
    });
  }

  /**
   * RemoveTargets: the listed targets are removed (at most 10 per request, EventBridge API
   * reference, RemoveTargets). An ID the rule does not have is not reported as a failed entry
   * (inferred: the reference lists failures only for concurrent requests).
   */
  removeTargets(region: string, input: RemoveTargetsRequest): RemoveTargetsResponse {
    return this.call('RemoveTargets', () => {
      const ids = input.Ids ?? [];
      if (ids.length < 1 || ids.length > 10) throw undeclared('ValidationException', constraintMessage(ids.length, 'ids', 'Member must have length less than or equal to 10 and greater than or equal to 1'));
      const r = this.rule(region, input.EventBusName, input.Rule);
      r.targets = r.targets.filter((t) => !ids.includes(t.Id ?? ''));
      return { FailedEntryCount: 0, FailedEntries: [] };
    });
  }

  /**
   * The rules of a bus that match an event. ENABLED rules match every event except read-only
   * management events delivered by CloudTrail, which only ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
   * rules receive; DISABLED rules match nothing (EventBridge User Guide, "Receiving read-only
   * management events from AWS services"). Schedule rules have no pattern and match no event.
   */
  matchingRules(region: string, busName: string, event: unknown, opts: { readOnlyManagementEvent?: boolean } = {}): MatchedRule[] {
    return this.onBus(region, busName)
      .filter((r) => r.state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' || (r.state === 'ENABLED' && !opts.readOnlyManagementEvent))
      .filter((r) => r.pattern !== undefined && matchesPattern(JSON.parse(r.pattern) as EventPattern, event))
      .map((r) => ({ arn: this.arn(r.region, r.bus, r.name), name: r.name, targets: structuredClone(r.targets) }));
  }

  /** The rule ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another (SAR, EventBridge resource types). */
  arn(region: string, bus: string, name: string): string {
    return `arn:${partitionOf(region)}:events:${region}:${this.accountId}:rule/${bus === DEFAULT_BUS ? '' : `${bus}/`}${name}`;
  }

  private onBus(region: string, bus: string): RuleRecord[] {
    return [...this.rules.values()].filter((r) => r.region === region && r.bus === bus).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The bus an EventBusName (name or ARN) names; ResourceNotFoundException when it does not exist. */
  private bus(region: string, nameOrArn: string | undefined): string {
    const name = nameOrArn === undefined ? DEFAULT_BUS : (BUS_ARN.exec(nameOrArn)?.[1] ?? nameOrArn);
    if (name !== DEFAULT_BUS && !this.buses.has(`${region}/${name}`)) throw new ResourceNotFoundException({ message: `Event bus ${name} does not exist.`, ...meta() });
    return name;
  }

  private rule(region: string, busName: string | undefined, name: string | undefined): RuleRecord {
    const bus = this.bus(region, busName);
    const r = this.rules.get(`${region}/${bus}/${name ?? ''}`);
    if (!r) throw new ResourceNotFoundException({ message: `Rule ${name ?? ''} does not exist on EventBus ${bus}.`, ...meta() });
    return r;
  }

  private toRule(r: RuleRecord): Rule {
    return {
      Name: r.name,
      Arn: this.arn(r.region, r.bus, r.name),
      ...(r.pattern !== undefined ? { EventPattern: r.pattern } : {}),
      ...(r.schedule !== undefined ? { ScheduleExpression: r.schedule } : {}),
      State: r.state,
      ...(r.description !== undefined ? { Description: r.description } : {}),
      ...(r.roleArn !== undefined ? { RoleArn: r.roleArn } : {}),
      EventBusName: r.bus,
    };
  }

  private call<T>(operation: string, run: () => T): T {
    count(this.calls, operation);
    return run();
  }
}

/** One page of at most `limit` (1–100, default 100) items from an opaque NextToken. */
function page<T>(all: T[], token: string | undefined, limit: number | undefined): { items: T[]; next?: string } {
  const max = limit ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 100) throw undeclared('ValidationException', constraintMessage(max, 'limit', 'Member must have value less than or equal to 100 and greater than or equal to 1'));
  const start = token === undefined ? 0 : decodeToken(token);
  if (start === undefined) throw undeclared('InvalidToken', 'The NextToken is invalid or expired.');
  const items = all.slice(start, start + max);
  return start + max < all.length ? { items, next: encodeToken(start + max) } : { items };
}
