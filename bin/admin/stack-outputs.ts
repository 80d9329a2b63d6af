/**
 * The table name of a deployment, read from the outputs of one of its CloudFormation stacks.
 * The table stack and every regional stack have the output `TableName`.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { TargetError } from './errors.ts';

export const TABLE_NAME_OUTPUT = 'TableName';

/** The one CloudFormation call needed; tests pass a stand-in. */
export interface StackReader {
  send(command: DescribeStacksCommand): Promise<DescribeStacksCommandOutput>;
}

/** Creates a CloudFormation client that finds credentials through the SDK's default chain. */
export function cloudFormationIn(region: string): StackReader & { destroy(): void } {
  return new CloudFormationClient({ region });
}

/** Returns the value of the stack's `TableName` output, or throws a TargetError with the cause. */
export async function readTableName(
  reader: StackReader,
  stackName: string,
  region: string,
): Promise<string> {
  let output: DescribeStacksCommandOutput;
  try {
    output = await reader.send(new DescribeStacksCommand({ StackName: stackName }));
  } catch (error) {
    throw describeFailure(error, stackName, region);
  }

  const stack = output.Stacks?.[0];
  if (stack === undefined) {
    throw new TargetError(`The stack ${stackName} does not exist in ${region}.`);
  }
  const tableName = stack.Outputs?.find((item) => item.OutputKey === TABLE_NAME_OUTPUT);
  if (tableName?.OutputValue === undefined || tableName.OutputValue === '') {
    throw new TargetError(
      `The stack ${stackName} in ${region} has no output ${TABLE_NAME_OUTPUT}. Name the ` +
        'table stack or a regional stack of the deployment, or pass the table with --table.',
    );
  }
  return tableName.OutputValue;
}

function describeFailure(error: unknown, stackName: string, region: string): TargetError {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  // CloudFormation rejects an unknown stack with a ValidationError whose message contains
  // "does not exist".
  if (name === 'ValidationError' && message.includes('does not exist')) {
    return new TargetError(
      `The stack ${stackName} does not exist in ${region}. Check --stack and --region.`,
    );
  }
  if (name === 'CredentialsProviderError') {
    return new TargetError(
      'No AWS credentials were found. Configure them as for the AWS CLI, for example with ' +
        `AWS_PROFILE or 'aws sso login', and run the command again. (${message})`,
    );
  }
  return new TargetError(
    `Reading the outputs of the stack ${stackName} in ${region} failed: ${message}`,
  );
}
