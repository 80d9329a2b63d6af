/**
 * The reference of the cold start benchmark: the least that a token-issuing function must do.
 * At initialization it creates a DynamoDB client and an ES256 key; each invocation signs one
 * JWT with jose, as the project's handlers do. With BASELINE_GET_ITEM=true it also reads one
 * item, the first table call that most handlers make.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { generateKeyPair, SignJWT } from 'jose';

const client = new DynamoDBClient({
  region: process.env.AWS_REGION,
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
const keyPair = generateKeyPair('ES256');

export async function handler(event: APIGatewayProxyEventV2) {
  if (process.env.BASELINE_GET_ITEM === 'true') {
    await client.send(
      new GetItemCommand({
        TableName: process.env.TABLE_NAME,
        Key: { pk: { S: 'BASELINE' }, sk: { S: 'BASELINE' } },
      }),
    );
  }
  const token = await new SignJWT({ path: event.rawPath })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign((await keyPair).privateKey);
  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: token };
}
