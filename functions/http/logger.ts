/**
 * The structured JSON logger (Powertools for AWS Lambda). Its level comes from
 * POWERTOOLS_LOG_LEVEL; POWERTOOLS_DEV=true prints indented JSON for development.
 * Nothing logs a secret, a token or a whole event.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'oauth-server' });
