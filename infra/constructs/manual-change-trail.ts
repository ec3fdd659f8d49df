/** A single-region trail of write management events: what CloudTrail needs before it delivers "AWS API Call via
 * CloudTrail" events to EventBridge. Its log files go to an encrypted, private bucket that refuses plain HTTP and
 * forgets them after `retentionDays`; log file validation is on. An account that already has a trail needs none. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface ManualChangeTrailProps {
  /** Days the bucket keeps log files. */
  readonly retentionDays: number;
}

export class ManualChangeTrail extends Construct {
  readonly bucket: s3.Bucket;
  readonly trail: cloudtrail.Trail;

  constructor(scope: Construct, id: string, props: ManualChangeTrailProps) {
    super(scope, id);
    // The bucket and the trail are created beside this construct, in its scope, not beneath it: their logical IDs
    // stay the ones installations deployed before the construct existed (a new ID would replace the trail).
    this.bucket = new s3.Bucket(scope, 'TrailBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(props.retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    NagSuppressions.addResourceSuppressions(this.bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'The bucket holds CloudTrail log files only (the trail exists so EventBridge receives API calls); access ' +
          'to it is itself recorded by CloudTrail management events, and server access logs would need a second bucket.',
      },
    ]);
    this.trail = new cloudtrail.Trail(scope, 'ManualChangeTrail', {
      bucket: this.bucket,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
      enableFileValidation: true,
    });
  }
}
