/**
 * The SNS topic that a stack's alarms notify: a new topic with the configured e-mail
 * subscription, or the configured existing topic of the stack's region.
 */
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { AlarmsInput } from './config/deploy-config.ts';
import { acknowledgeNagRule } from './nag.ts';

/** Returns the topic for the region's alarms, or undefined when the alarms have no actions. */
export function createAlarmTopic(
  scope: Construct,
  alarms: AlarmsInput,
  region: string,
): ITopic | undefined {
  const topicArn = alarms.topicArns?.[region];
  if (topicArn !== undefined) return Topic.fromTopicArn(scope, 'AlarmTopic', topicArn);
  if (alarms.email === undefined) return undefined;

  const topic = new Topic(scope, 'AlarmTopic', {
    displayName: 'OAuth server alarms',
    enforceSSL: true,
  });
  topic.addSubscription(new EmailSubscription(alarms.email));
  acknowledgeNagRule(
    topic,
    'AwsSolutions-SNS2',
    'The topic carries only alarm state changes, no user data. CloudWatch cannot publish to a ' +
      'topic encrypted with the AWS managed SNS key, and a customer managed key would cost ' +
      'about 1 USD per region and month for no protected content.',
  );
  return topic;
}

/** Makes the alarm notify the topic when it goes into ALARM and when it recovers. */
export function notifyTopic(alarm: Alarm, topic: ITopic | undefined): void {
  if (topic === undefined) return;
  const action = new SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
}
