/**
 * EventBridge Scheduler over restJson1 (`POST /schedules/{Name}`, `GET /schedules?ScheduleGroup=…`:
 * the `@http` traits of the SDK's own schemas), signing name `scheduler`, served in the Region of
 * the request's credential scope. The SchedulerClient reaches it through
 * AWS_ENDPOINT_URL_SCHEDULER (service ID "Scheduler"). Errors are the service model's:
 * ValidationException 400, ResourceNotFoundException 404, ConflictException 409,
 * ThrottlingException 429, InternalServerException 500, each with a `Message` member.
 */
import { randomUUID } from 'node:crypto';
import * as schedulerApi from '@aws-sdk/client-scheduler';
import {
  CreateSchedule$,
  CreateScheduleGroup$,
  DeleteSchedule$,
  DeleteScheduleGroup$,
  GetSchedule$,
  GetScheduleGroup$,
  ListScheduleGroups$,
  ListSchedules$,
  UpdateSchedule$,
} from '@aws-sdk/client-scheduler';
import type { SchedulerModel } from '#sandbox/model/scheduler';
import { decodeRestJsonInput, matchRoute, restJsonError, restJsonResult, restRoute, type RestRoute } from '../protocols/rest-json.ts';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf, type StaticOperation } from '../smithy.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are decoded from the wire against the operation's schema
type Input = any;
type Serve = (m: SchedulerModel, region: string, input: Input) => object;

const OPERATIONS: Array<[StaticOperation, Serve]> = [
  [CreateSchedule$ as unknown as StaticOperation, (m, r, i) => m.createSchedule(r, i)],
  [UpdateSchedule$ as unknown as StaticOperation, (m, r, i) => m.updateSchedule(r, i)],
  [DeleteSchedule$ as unknown as StaticOperation, (m, r, i) => m.deleteSchedule(r, i)],
  [GetSchedule$ as unknown as StaticOperation, (m, r, i) => m.getSchedule(r, i)],
  [ListSchedules$ as unknown as StaticOperation, (m, r, i) => m.listSchedules(r, i)],
  [CreateScheduleGroup$ as unknown as StaticOperation, (m, r, i) => m.createScheduleGroup(r, i)],
  [GetScheduleGroup$ as unknown as StaticOperation, (m, r, i) => m.getScheduleGroup(r, i)],
  [ListScheduleGroups$ as unknown as StaticOperation, (m, r, i) => m.listScheduleGroups(r, i)],
  [DeleteScheduleGroup$ as unknown as StaticOperation, (m, r, i) => m.deleteScheduleGroup(r, i)],
];

const ROUTES: RestRoute<Serve>[] = OPERATIONS.map(([schema, serve]) => restRoute(operationOf(schema), serve));
const ERRORS = errorShapes(schedulerApi as unknown as Record<string, unknown>);

/** The operations this service serves, by name. */
export const SCHEDULER_OPERATIONS: readonly string[] = ROUTES.map((r) => r.op.name);

export function schedulerService(model: SchedulerModel, defaultRegion: string): ServiceHandler {
  // The modelled errors carry their text in `Message` (service model, e.g. ValidationException).
  const error = (name: string, message: string, requestId: string, fault?: 'client' | 'server', status?: number) =>
    restJsonError(name, { Message: message, message }, requestId, ERRORS.get(name), fault, status);

  return {
    service: 'scheduler',
    signingName: 'scheduler',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const match = matchRoute(ROUTES, req);
      if (!match) return error('UnknownOperationException', `the sandbox serves no Scheduler operation at ${req.method} ${req.rawPath}`, req.requestId, 'client', 404);
      const { route, labels } = match;
      let input: Record<string, unknown>;
      try {
        input = decodeRestJsonInput(route.op, req, labels);
      } catch (e) {
        return error('ValidationException', `Could not parse request body: ${(e as Error).message}`, req.requestId);
      }
      const region = req.region ?? defaultRegion;
      return {
        operation: route.op.name,
        input,
        serve: () => {
          try {
            return restJsonResult(route, route.target(model, region, input), req.requestId);
          } catch (e) {
            const err = e as Error & { $fault?: 'client' | 'server' };
            if (err.$fault === undefined) return error('InternalServerException', `sandbox: ${err.message}`, req.requestId, 'server');
            return error(err.name, err.message, req.requestId, err.$fault);
          }
        },
      };
    },

    throttled(req) {
      // ThrottlingException: @httpError(429) in the service model; every operation lists it.
      return error('ThrottlingException', 'Rate exceeded', req.requestId);
    },

    failed(req, call, code) {
      return error(code, `${call.operation} failed on purpose (sandbox fault knob)`, req.requestId ?? randomUUID());
    },
  };
}
