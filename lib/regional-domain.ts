/**
 * The custom domain in one region: a DNS-validated certificate, an API Gateway regional custom
 * domain for the shared name and one for the region's own host name, both mapped to the API,
 * and the region's records in the hosted zone. The latency records and health checks that tie
 * the regions together are in the DNS stack.
 */
import {
  ApiMapping,
  DomainName,
  IpAddressType,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import type { IHttpApi, IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import type { IHostedZone } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { DomainInput } from './config/deploy-config.ts';
import { originRecordName, regionalHostname } from './domain-names.ts';

export interface RegionalDomainProps {
  readonly domain: DomainInput;
  readonly region: string;
  readonly httpApi: IHttpApi;
  readonly stage: IHttpStage;
}

export class RegionalDomain extends Construct {
  /** The region's own host name, such as `eu-west-1.auth.example.com`. */
  readonly regionalHostname: string;

  constructor(scope: Construct, id: string, props: RegionalDomainProps) {
    super(scope, id);
    const { domain, region } = props;
    this.regionalHostname = regionalHostname(domain.name, region);

    const zone = HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
      hostedZoneId: domain.hostedZoneId,
      zoneName: domain.hostedZoneName,
    });
    // API Gateway needs a certificate in its own region, so each region requests one.
    const certificate = new Certificate(this, 'Certificate', {
      domainName: domain.name,
      subjectAlternativeNames: [this.regionalHostname],
      validation: CertificateValidation.fromDns(zone),
    });

    const shared = this.mapDomain('SharedDomain', domain.name, certificate, props);
    const own = this.mapDomain('RegionalDomain', this.regionalHostname, certificate, props);

    addAliasRecords(this, 'OriginRecord', zone, originRecordName(domain.name, region), shared);
    addAliasRecords(this, 'RegionalRecord', zone, this.regionalHostname, own);
  }

  /** Creates a regional custom domain that serves the API's stage at its root. */
  private mapDomain(
    id: string,
    name: string,
    certificate: Certificate,
    props: RegionalDomainProps,
  ): DomainName {
    const domainName = new DomainName(this, id, {
      domainName: name,
      certificate,
      securityPolicy: SecurityPolicy.TLS_1_2,
      ipAddressType: IpAddressType.DUAL_STACK,
    });
    new ApiMapping(this, `${id}Mapping`, {
      api: props.httpApi,
      domainName,
      stage: props.stage,
    });
    return domainName;
  }
}

/** Creates A and AAAA alias records of a name for a custom domain's API Gateway endpoint. */
function addAliasRecords(
  scope: Construct,
  id: string,
  zone: IHostedZone,
  recordName: string,
  domainName: DomainName,
): void {
  const endpoint = new ApiGatewayv2DomainProperties(
    domainName.regionalDomainName,
    domainName.regionalHostedZoneId,
  );
  const target = RecordTarget.fromAlias(endpoint);
  new ARecord(scope, `${id}A`, { zone, recordName, target });
  new AaaaRecord(scope, `${id}Aaaa`, { zone, recordName, target });
}
