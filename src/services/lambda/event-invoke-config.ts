/** The FunctionEventInvokeConfig shape and its mapping, shared by Put/GetFunctionEventInvokeConfig. */
import { int, member, str, struct, timestamp } from '../../aws';
import type { EventInvokeConfig } from './backend';

/** Destination ARNs as the model constrains them. */
export const DESTINATION = str({ min: 0, max: 350, pattern: '^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)' });

export const DESTINATION_CONFIG = struct({
  OnSuccess: member(struct({ Destination: member(DESTINATION) })),
  OnFailure: member(struct({ Destination: member(DESTINATION) })),
});

export const FUNCTION_EVENT_INVOKE_CONFIG = struct({
  LastModified: member(timestamp()),
  FunctionArn: member(str()),
  MaximumRetryAttempts: member(int()),
  MaximumEventAgeInSeconds: member(int()),
  DestinationConfig: member(DESTINATION_CONFIG),
});

export function toEventInvokeConfig(qualifiedArn: string, c: EventInvokeConfig) {
  return {
    LastModified: new Date(c.lastModified),
    FunctionArn: qualifiedArn,
    MaximumRetryAttempts: c.maximumRetryAttempts ?? undefined,
    MaximumEventAgeInSeconds: c.maximumEventAgeInSeconds ?? undefined,
    DestinationConfig: {
      OnSuccess: c.onSuccess ? { Destination: c.onSuccess } : {},
      OnFailure: c.onFailure ? { Destination: c.onFailure } : {},
    },
  };
}
