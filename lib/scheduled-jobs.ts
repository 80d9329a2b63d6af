/**
 * The scheduled jobs of functions/jobs.ts as the regional stacks deploy them: which jobs a
 * consistency mode needs, what each may do on the table, and the EventBridge rule that
 * invokes each job's function.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { scheduledJobs } from '../functions/jobs.ts';
import type { ScheduledJob } from '../functions/jobs.ts';
import { EXPIRY_INDEX_NAME } from '../functions/storage/expiry-index.ts';
import type { ConsistencyMode } from './config/deploy-config.ts';

/**
 * How long a job's run may take. The sweeper stops after at most 1,000 deletes, with a pause of
 * 100 ms after each batch of 25, an estimated 10 to 20 seconds. A minute leaves room for a slow
 * table.
 */
export const jobTimeout = Duration.seconds(60);

/**
 * Index that a job's Query reads instead of the table, by job name. functions/jobs.ts has no
 * field for it, so it is named here. The sweeper queries the expiry index (see
 * functions/storage/expired-item-sweeper.ts).
 */
export const jobQueryIndexes: Readonly<Record<string, string>> = {
  SweepExpiredItems: EXPIRY_INDEX_NAME,
};

/** Returns the jobs that a consistency mode runs, in the order of functions/jobs.ts. */
export function jobsForMode(mode: ConsistencyMode): ScheduledJob[] {
  return scheduledJobs.filter((job) => job.onlyInMode === undefined || job.onlyInMode === mode);
}

/**
 * Invokes a job's function on its schedule. A failed run is not retried: the next scheduled
 * run does the same work, and a retry could overlap it. EventBridge keeps trying to deliver an
 * event for at most an hour, after which the next run is due anyway.
 */
export function scheduleJob(scope: Construct, job: ScheduledJob, handler: IFunction): Rule {
  handler.configureAsyncInvoke({ retryAttempts: 0 });
  return new Rule(scope, `${job.name}Schedule`, {
    description: `Runs the scheduled job ${job.name}`,
    schedule: Schedule.expression(job.schedule),
    targets: [new LambdaFunction(handler, { maxEventAge: Duration.hours(1) })],
  });
}
