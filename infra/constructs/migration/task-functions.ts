/**
 * The migration's task functions, one per `${…FunctionArn}` of the ASL, built with the house
 * construct (infra/constructs/function.ts), and their roles.
 *
 * The four tasks that call the Kubernetes API — describe (checks it can read aws-auth), backup
 * (reads it), the re-check before API (reads it again) and rollback (restores it) — run as ONE
 * role, `kubernetesRole`: the aws-auth row the describe step asks the operator to add is then
 * exactly what backup, re-check and rollback need, and a rollback can never be locked out of a
 * cluster the describe step got into. Every other task has a role of its own.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { MIGRATION_SUBSTITUTIONS } from '#workflows/manifest';
import { HouseFunction } from '../function.ts';
import { addExplainedStatement } from '../permissions.ts';
import type { MigrationTask } from './placeholders.ts';
import { TASKS, taskStatements, type TaskGrantTargets } from './task-grants.ts';

/** IAM's limit on a role name. */
const ROLE_NAME_LIMIT = 64;

/** `ValidateInputFunctionArn` → `ValidateInput`: construct ids, so logical ids read like the state names. */
function taskId(placeholder: MigrationTask): string {
  return placeholder.replace(/FunctionArn$/, '');
}

/**
 * The fixed names of a regional migration's roles (`fixedRoleNames`): the Kubernetes role
 * and one per task that does not call the Kubernetes API. Role names are global to the account,
 * hence the region in each. The home stack registers `arn:…:role/<name>` as system roles, so
 * this list and the roles the construct creates must stay one and the same (checked at synth).
 */
export function migrationRoleNames(region: string): string[] {
  const ids = ['Kubernetes', ...(Object.keys(TASKS) as MigrationTask[]).filter((t) => !TASKS[t].kubernetes).map(taskId)];
  return ids.map((id) => migrationRoleName(region, id));
}

function migrationRoleName(region: string, id: string): string {
  const name = `eks-access-pilot-migration-${region}-${id}`;
  if (name.length > ROLE_NAME_LIMIT) throw new Error(`AuthModeMigration: role name ${name} is longer than IAM's ${ROLE_NAME_LIMIT} characters`);
  return name;
}

export interface MigrationTaskFunctionsProps extends TaskGrantTargets {
  /** The region whose managed clusters the workflow migrates: part of the fixed role names. */
  readonly region: string;
  /** Gives every role the fixed name `migrationRoleNames(region)` lists. */
  readonly fixedRoleNames: boolean;
}

/**
 * The task functions and their roles, built directly in `scope`: `KubernetesRole`, then one
 * HouseFunction per task, with the id `taskId(placeholder)`.
 */
export class MigrationTaskFunctions {
  public readonly functions: Record<MigrationTask, HouseFunction>;
  /** The identity the Kubernetes API sees (describe, backup, re-check, rollback): map it in aws-auth. */
  public readonly kubernetesRole: iam.Role;
  /** Every role of the task functions, once each, in the order of the task table. */
  public readonly roles: iam.Role[];

  constructor(scope: Construct, props: MigrationTaskFunctionsProps) {
    const { region } = props;
    const roleName = (id: string): string | undefined => (props.fixedRoleNames ? migrationRoleName(region, id) : undefined);
    this.kubernetesRole = new iam.Role(scope, 'KubernetesRole', {
      roleName: roleName('Kubernetes'),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'eks-access-pilot migration: the identity that reads and restores aws-auth (map it in aws-auth)',
    });

    const functions = {} as Record<MigrationTask, HouseFunction>;
    // Per role: statement id → statement, so the shared role gets each statement once and two
    // different statements can never hide behind one id.
    const granted = new Map<iam.Role, Map<string, string>>();
    for (const placeholder of Object.keys(TASKS) as MigrationTask[]) {
      const spec = TASKS[placeholder];
      const sub = MIGRATION_SUBSTITUTIONS[placeholder];
      const fn = new HouseFunction(scope, taskId(placeholder), {
        name: `migration ${sub.entry.replace(/^.*\/|\.ts$/g, '')}`,
        entry: sub.entry,
        description: `eks-access-pilot migration task "${sub.description}"`,
        timeout: spec.timeout,
        role: spec.kubernetes ? this.kubernetesRole : undefined,
        roleName: spec.kubernetes ? undefined : roleName(taskId(placeholder)),
      });
      const done = granted.get(fn.role) ?? new Map<string, string>();
      granted.set(fn.role, done);
      for (const grant of spec.grants) {
        for (const explained of taskStatements(scope, grant, props)) {
          const sid = explained.statement.sid!;
          const json = JSON.stringify(Stack.of(scope).resolve(explained.statement.toStatementJson()));
          if (done.has(sid)) {
            if (done.get(sid) !== json) throw new Error(`AuthModeMigration: two different statements named ${sid} on one role`);
            continue;
          }
          done.set(sid, json);
          addExplainedStatement(fn.role, explained);
        }
      }
      Validations.of(fn.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: 'Invoked synchronously by the state machine, which retries transient errors and routes failures to the rollback; a DLQ only applies to asynchronous invocations.',
      });
      functions[placeholder] = fn;
    }
    this.functions = functions;
    this.roles = [...granted.keys()];
    if (props.fixedRoleNames) {
      const names = this.roles.map((r) => (r.node.defaultChild as iam.CfnRole).roleName).sort();
      const expected = migrationRoleNames(region).sort();
      if (JSON.stringify(names) !== JSON.stringify(expected)) {
        throw new Error(`AuthModeMigration: the roles (${names.join(', ')}) are not migrationRoleNames(${region}) (${expected.join(', ')})`);
      }
    }
  }
}
