/**
 * Scheduled functions: jobs that run on a timer rather than behind a route. The CDK stack
 * creates one function and one EventBridge schedule per entry, in every region.
 */
import type { TableAction } from './routes.ts';

export interface ScheduledJob {
  /** PascalCase name of the job's Lambda function, used as its CDK construct id. */
  readonly name: string;
  /** Handler module, relative to the repository root. It exports `handler`. */
  readonly entry: string;
  /** An EventBridge schedule expression. */
  readonly schedule: string;
  readonly tableActions: readonly TableAction[];
  /** The consistency mode that needs the job; every mode when absent. */
  readonly onlyInMode?: 'eventual' | 'strong';
}

export const scheduledJobs: readonly ScheduledJob[] = [
  {
    name: 'SweepExpiredItems',
    entry: 'functions/handlers/sweep-expired-items.ts',
    schedule: 'rate(5 minutes)',
    tableActions: ['dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
    // Eventual mode has DynamoDB TTL; the strong mode lacks it.
    onlyInMode: 'strong',
  },
  {
    name: 'RotateSigningKeys',
    entry: 'functions/handlers/rotate-signing-keys.ts',
    // Hourly, so a key is promoted at most an hour after its period ends. The period itself is
    // KEY_ROTATION_DAYS. The function also needs kms:GenerateDataKey on the key encryption key.
    schedule: 'rate(1 hour)',
    tableActions: [
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
  },
];
