import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkStagesLog, createAccessLogs, type AccessLogResources } from "./access-logs";
import { allowInvoke, attachToApi, attachToHttpApi, type ApiAttachment, type HttpApiAttachment } from "./api-attachment";
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, type AccessLogDestination, type UserKeyAuthorizerArgs } from "./args";
import { authorizerBundle, AUTHORIZER_HANDLER } from "./authorizer-code";
import { authorizerFunctionName, lambdaInvokeArn, type AccountScope } from "./authorizer-function";
import { openApiGatewayResponses } from "./gateway-responses";
import { apiGatewayAssumeRolePolicy, authorizerRolePolicy, invokeAuthorizerPolicy, lambdaAssumeRolePolicy, usagePlanStatements } from "./iam-policies";
import { authorizerEnvironment } from "../lambda/config";
import { VERDICT_INDEXES, VERDICT_INDEX_PROJECTED_ATTRIBUTES } from "../lambda/cache/verdict-indexes";
import { observeAuthorizer, type Observability } from "./observability/observability";
import { identitySource, openApiSecurityScheme } from "./openapi";
import { createUsagePlans, meteredStages, type UsagePlanResources } from "./usage-plans";
import { InvalidSettingError, resolveSettings, type ResolvedSettings } from "./validate-args";
import { createWaf, protectedStages, type WafResources } from "./waf";

/** What was attached where, as reported in the `apis` output. */
export interface AttachedApiSummary {
  name: string;
  restApiId: string;
  authorizerId: string;
  stageNames: string[];
}

/** What was attached to each HTTP API, as reported in the `httpApis` output. */
export interface AttachedHttpApiSummary {
  name: string;
  apiId: string;
  /** Set it as `authorizerId` on routes with `authorizationType: "CUSTOM"`. */
  authorizerId: string;
}

/** CloudWatch metric namespace of the decision counts. */
export const METRIC_NAMESPACE = "Keygate";
/** Matches every audit record (each has a decision), and nothing else Lambda writes to the group. */
export const DECISION_FILTER_PATTERN = '{ ($.decision = "allow") || ($.decision = "deny") || ($.decision = "error") }';

/**
 * Accepts Kinde user-level API keys at API Gateway REST and HTTP APIs: a Lambda authorizer with its
 * verdict cache, client secret, audit log and least-privilege role, attached to each API in `apis`
 * and `httpApis`; with `usagePlans`, a throttle and a quota per user through API Gateway usage plans
 * (REST APIs only).
 */
export class UserKeyAuthorizer extends pulumi.ComponentResource {
  static readonly TYPE = "keygate:index:UserKeyAuthorizer";

  /** `authorizerIds[i]` is the authorizer of `args.apis[i]`: set it as `authorizerId` on methods with authorization `CUSTOM`. */
  readonly authorizerIds: pulumi.Output<string>[];
  /** The authorizers, in the order of `args.apis` (for a Deployment's `dependsOn`). */
  readonly authorizers: aws.apigateway.Authorizer[];
  /** Every API's gateway responses: a stage shows them only after a redeployment that depends on them. */
  readonly gatewayResponses: aws.apigateway.Response[];
  /** Name, REST API id, authorizer id and stages of each protected API. */
  readonly apis: pulumi.Output<AttachedApiSummary[]>;
  /** `httpApiAuthorizerIds[i]` is the authorizer of `args.httpApis[i]`: set it as `authorizerId` on routes with `authorizationType: "CUSTOM"`. */
  readonly httpApiAuthorizerIds: pulumi.Output<string>[];
  /** The HTTP APIs' authorizers, in the order of `args.httpApis`. */
  readonly httpApiAuthorizers: aws.apigatewayv2.Authorizer[];
  /** Name, API id and authorizer id of each protected HTTP API. */
  readonly httpApis: pulumi.Output<AttachedHttpApiSummary[]>;

  readonly functionName: pulumi.Output<string>;
  readonly functionArn: pulumi.Output<string>;
  readonly functionInvokeArn: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  readonly auditLogGroupName: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret holding the Kinde client secret (the ARN only, never the value). */
  readonly secretArn: pulumi.Output<string>;
  /** With `openApi`: the `x-amazon-apigateway-authorizer` security scheme to paste into an OpenAPI definition. */
  readonly openApiSecurityScheme: pulumi.Output<Record<string, unknown>> | undefined;
  /** Keygate's gateway responses as OpenAPI's `x-amazon-apigateway-gateway-responses`. */
  readonly openApiGatewayResponses: Record<string, unknown>;
  /** With `usagePlans`: each tier's usage plan id. */
  readonly usagePlanIds: pulumi.Output<Record<string, string>> | undefined;
  /**
   * With `usagePlans`: each tier's pool key id (never its value), to tell pool keys apart from
   * orphans when cleaning up keys.
   */
  readonly usagePoolKeyIds: pulumi.Output<Record<string, string>> | undefined;

  /** The child resources, for programs that extend the component (e.g. more permissions on the role). */
  readonly fn: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly table: aws.dynamodb.Table;
  readonly auditLogGroup: aws.cloudwatch.LogGroup;
  readonly secret: aws.secretsmanager.Secret;
  /** With `usagePlans`: the plans and keys (key values are secret outputs). */
  readonly usage: UsagePlanResources | undefined;
  /** With `waf`: the web ACL and its association with each protected stage. */
  readonly waf: WafResources | undefined;
  /** The alarms, dashboard, Contributor Insights rules and saved queries (docs/operations.md); each undefined when turned off. */
  readonly observability: Observability;
  /** The CloudWatch dashboard's console URL; undefined with `dashboard: false`. */
  readonly dashboardUrl: pulumi.Output<string> | undefined;
  /**
   * With `accessLogs`: the log group every protected stage's access logs go to. It resolves only
   * once the stages `deployStages` created are checked to log there.
   */
  readonly accessLogGroupName: pulumi.Output<string> | undefined;
  /** With `accessLogs`: `accessLogSettings` for stages defined elsewhere in the program (docs/operations.md). */
  readonly accessLogSettings: pulumi.Output<AccessLogDestination> | undefined;
  /** With `accessLogs`: the log group, and the account's CloudWatch role when the component set it. */
  readonly accessLogs: AccessLogResources | undefined;

  private accountScope: pulumi.Output<AccountScope> | undefined;

  constructor(name: string, args: UserKeyAuthorizerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is registered, so bad settings leave no half-built component behind.
    const settings = resolveSettings(args);
    // No args are passed up: they hold the client secret, and the component needs none of them recorded.
    super(UserKeyAuthorizer.TYPE, name, {}, opts);
    const parent = { parent: this };
    const tags = settings.tags;

    this.secret = new aws.secretsmanager.Secret(`${name}-kinde-client-secret`, { description: "Kinde M2M client secret used by the Keygate authorizer", tags }, parent);
    const secretVersion = new aws.secretsmanager.SecretVersion(
      `${name}-kinde-client-secret`,
      // The provider SDK marks secretString secret too; wrapping it here keeps that true whatever the caller passed.
      { secretId: this.secret.id, secretString: pulumi.secret(settings.clientSecret) },
      parent,
    );

    this.table = new aws.dynamodb.Table(
      `${name}-cache`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: "pk",
        attributes: [{ name: "pk", type: "S" }, ...VERDICT_INDEXES.map((index) => ({ name: index.attribute, type: "S" }))],
        // Lets `keygate invalidate` find a key's or a user's verdicts without scanning the table.
        globalSecondaryIndexes: VERDICT_INDEXES.map((index) => ({
          name: index.name,
          keySchemas: [{ attributeName: index.attribute, keyType: "HASH" }],
          projectionType: "INCLUDE",
          nonKeyAttributes: [...VERDICT_INDEX_PROJECTED_ATTRIBUTES],
        })),
        // DynamoDB deletes expired verdicts eventually; the authorizer checks expiry itself on read.
        ttl: { attributeName: "expiresAt", enabled: true },
        // With no key ARN this is the AWS managed key (aws/dynamodb), visible and auditable in KMS.
        serverSideEncryption: { enabled: true },
        pointInTimeRecovery: { enabled: settings.pointInTimeRecovery },
        deletionProtectionEnabled: settings.deletionProtection,
        tags,
      },
      parent,
    );

    this.auditLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-audit`,
      { retentionInDays: settings.auditLogRetentionInDays, ...(settings.auditLogKmsKeyArn !== undefined ? { kmsKeyId: settings.auditLogKmsKeyArn } : {}), tags },
      parent,
    );

    this.role = new aws.iam.Role(
      `${name}-authorizer`,
      {
        description: settings.usagePlans?.autoProvision
          ? "Keygate authorizer: its cache table, its client secret, its audit log and its tiers' usage keys only"
          : "Keygate authorizer: its cache table, its client secret and its audit log only",
        assumeRolePolicy: JSON.stringify(lambdaAssumeRolePolicy()),
        tags,
      },
      parent,
    );
    // The authorizers come before the function: a stage created by deployStages needs its
    // authorizer, the usage plans need those stages, and the function's environment the plans.
    const functionName = authorizerFunctionName(name);
    const invokeArn = this.scope().apply((scope) => lambdaInvokeArn(scope, functionName));
    const attachments = this.attachApis(name, settings, invokeArn);
    const httpAttachments = this.attachHttpApis(name, settings, invokeArn);
    warnOfRestOnlyFeatures(settings, this);
    this.accessLogs =
      settings.accessLogs && settings.accessLogCloudWatchRole
        ? createAccessLogs(name, { retentionInDays: settings.accessLogRetentionInDays, cloudWatchRole: settings.accessLogCloudWatchRole, tags }, this.scope(), this)
        : undefined;
    const deployed = attachments.map((attachment, index) => this.deployStages(index, settings, attachment, this.accessLogs?.settings));
    this.waf =
      settings.wafRequestsPerFiveMinutesPerIp !== undefined
        ? createWaf(name, settings.wafRequestsPerFiveMinutesPerIp, protectedStages(attachments, deployed), { scope: this.scope(), tags }, this)
        : undefined;

    this.usage = settings.usagePlans
      ? createUsagePlans(
          name,
          settings.usagePlans,
          { stages: attachments.flatMap((attachment, index) => meteredStages(index, settings.apis[index]!, attachment, deployed[index])), table: this.table, tags, stackTag: functionName },
          this,
        )
      : undefined;
    const usagePlanIds = this.usage ? this.usage.planIds.apply((ids) => Object.values(ids)) : pulumi.output([]);

    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-authorizer`,
      {
        role: this.role.id,
        policy: pulumi
          .all([this.table.arn, this.secret.arn, this.auditLogGroup.arn, this.scope(), usagePlanIds])
          .apply(([cacheTableArn, clientSecretArn, auditLogGroupArn, scope, planIds]) =>
            JSON.stringify(
              authorizerRolePolicy(
                { cacheTableArn, clientSecretArn, auditLogGroupArn },
                usagePlanStatements(settings.usagePlans?.autoProvision ?? false, { partition: scope.partition, region: scope.region, usagePlanIds: planIds, cacheTableArn, stackTag: functionName }),
              ),
            ),
          ),
      },
      parent,
    );

    this.fn = new aws.lambda.Function(
      `${name}-authorizer`,
      {
        name: functionName,
        description: "Keygate: verifies Kinde user-level API keys for API Gateway",
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        handler: AUTHORIZER_HANDLER,
        code: authorizerBundle().archive,
        role: this.role.arn,
        memorySize: settings.memorySizeMb,
        timeout: settings.timeoutSeconds,
        environment: {
          variables: authorizerEnvironment<pulumi.Input<string>>(settings, {
            clientId: settings.clientId,
            clientSecretArn: this.secret.arn,
            cacheTableName: this.table.name,
            ...(this.usage ? { usagePlans: this.usage.environment, stackTag: functionName } : {}),
          }),
        },
        loggingConfig: {
          logFormat: "JSON",
          logGroup: this.auditLogGroup.name,
          applicationLogLevel: "INFO",
          // START/END/REPORT lines are INFO: keeping them out leaves the audit group to decisions.
          systemLogLevel: "WARN",
        },
        tags,
      },
      // Without its permissions, its secret's value or its pool keys' plan memberships, the first
      // requests would fail. A fixed name cannot be created while the old function still holds it.
      { parent: this, dependsOn: [rolePolicy, secretVersion, ...(this.usage?.poolPlanKeys ?? [])], deleteBeforeReplace: true },
    );
    for (const attachment of [...attachments, ...httpAttachments]) allowInvoke(name, attachment, this.fn, this);

    if (settings.auditLogMetrics) {
      new aws.cloudwatch.LogMetricFilter(
        `${name}-decisions`,
        {
          logGroupName: this.auditLogGroup.name,
          pattern: DECISION_FILTER_PATTERN,
          metricTransformation: {
            name: "AuthorizerDecisions",
            namespace: METRIC_NAMESPACE,
            value: "1",
            unit: "Count",
            dimensions: { decision: "$.decision", reason: "$.reason" },
          },
        },
        parent,
      );
    }

    this.observability = observeAuthorizer(
      name,
      settings,
      { fn: this.fn, auditLogGroup: this.auditLogGroup, ...(this.accessLogs ? { accessLogGroup: this.accessLogs.logGroup } : {}), region: this.scope().apply((scope) => scope.region) },
      this,
    );
    this.dashboardUrl = this.observability.dashboard?.url;

    this.authorizers = attachments.map((attachment) => attachment.authorizer);
    this.authorizerIds = this.authorizers.map((authorizer) => authorizer.id);
    this.gatewayResponses = attachments.flatMap((attachment) => attachment.gatewayResponses);
    this.apis = pulumi.all(
      attachments.map((attachment) =>
        pulumi.all([attachment.restApiId, attachment.authorizer.id]).apply(([restApiId, authorizerId]) => ({
          name: attachment.key,
          restApiId,
          authorizerId,
          stageNames: attachment.stageNames,
        })),
      ),
    );
    this.httpApiAuthorizers = httpAttachments.map((attachment) => attachment.authorizer);
    this.httpApiAuthorizerIds = this.httpApiAuthorizers.map((authorizer) => authorizer.id);
    this.httpApis = pulumi.all(
      httpAttachments.map((attachment) =>
        pulumi.all([attachment.apiId, attachment.authorizer.id]).apply(([apiId, authorizerId]) => ({ name: attachment.key, apiId, authorizerId })),
      ),
    );
    this.usagePlanIds = this.usage?.planIds;
    this.usagePoolKeyIds = this.usage?.poolKeyIds;

    this.openApiSecurityScheme = settings.openApi ? this.openApiScheme(name, settings) : undefined;
    this.openApiGatewayResponses = openApiGatewayResponses();

    this.functionName = this.fn.name;
    this.functionArn = this.fn.arn;
    this.functionInvokeArn = this.fn.invokeArn;
    this.tableName = this.table.name;
    this.auditLogGroupName = this.auditLogGroup.name;
    this.secretArn = this.secret.arn;
    this.accessLogSettings = this.accessLogs?.settings;
    this.accessLogGroupName = this.accessLogs ? this.checkedAccessLogGroup(this.accessLogs, settings, deployed) : undefined;

    this.registerOutputs({
      authorizerIds: this.authorizerIds,
      apis: this.apis,
      httpApiAuthorizerIds: this.httpApiAuthorizerIds,
      httpApis: this.httpApis,
      functionName: this.functionName,
      functionArn: this.functionArn,
      tableName: this.tableName,
      auditLogGroupName: this.auditLogGroupName,
      secretArn: this.secretArn,
      openApiSecurityScheme: this.openApiSecurityScheme,
      usagePlanIds: this.usagePlanIds,
      usagePoolKeyIds: this.usagePoolKeyIds,
      dashboardUrl: this.dashboardUrl,
      accessLogGroupName: this.accessLogGroupName,
    });
  }

  /**
   * The access log group's name, once every stage `deployStages` returned is known to log there. A
   * stage defined elsewhere cannot be changed from here: preview says so, and docs/operations.md
   * gives the settings to copy.
   */
  private checkedAccessLogGroup(accessLogs: AccessLogResources, settings: ResolvedSettings, deployed: (aws.apigateway.Stage[] | undefined)[]): pulumi.Output<string> {
    const checks = deployed.flatMap((stages, index) => (stages ? [checkStagesLog(index, stages, accessLogs.settings)] : []));
    settings.apis.forEach((api, index) => {
      if (deployed[index] === undefined) {
        pulumi.log.warn(
          `accessLogs: the stages of apis[${index}] are not created through deployStages, so Keygate cannot turn on their access logs; set accessLogSettings on them where they are defined (the accessLogSettings output; docs/operations.md, "Who is calling")`,
          this,
        );
      }
    });
    return pulumi.all([accessLogs.logGroup.name, pulumi.all(checks)]).apply(([logGroupName]) => logGroupName);
  }

  /** Partition, Region and account the component deploys to: looked up once, when first needed. */
  private scope(): pulumi.Output<AccountScope> {
    this.accountScope ??= pulumi
      .all([aws.getPartitionOutput({}, { parent: this }), aws.getRegionOutput({}, { parent: this }), aws.getCallerIdentityOutput({}, { parent: this })])
      .apply(([partition, region, caller]) => ({ partition: partition.partition, region: region.region, accountId: caller.accountId }));
    return this.accountScope;
  }

  /** An API named by id has no executionArn to read: build it from where this component deploys (REST and HTTP APIs share the form). */
  private executionArnForId(apiId: pulumi.Input<string>): pulumi.Output<string> {
    const scope = this.scope();
    return pulumi.interpolate`arn:${scope.partition}:execute-api:${scope.region}:${scope.accountId}:${apiId}`;
  }

  private attachApis(name: string, settings: ResolvedSettings, invokeArn: pulumi.Output<string>): ApiAttachment[] {
    const executionArnForId = (restApiId: pulumi.Input<string>) => this.executionArnForId(restApiId);
    return settings.apis.map((api) =>
      attachToApi(name, api, { invokeArn, authorizerType: settings.authorizerType, identitySource: identitySourceOf(settings), resultTtlSeconds: settings.authorizerResultTtlSeconds, executionArnForId }, this),
    );
  }

  private attachHttpApis(name: string, settings: ResolvedSettings, invokeArn: pulumi.Output<string>): HttpApiAttachment[] {
    const executionArnForId = (apiId: pulumi.Input<string>) => this.executionArnForId(apiId);
    const routeRules = Object.keys(settings.routeScopes).length > 0;
    return settings.httpApis.map((api) => attachToHttpApi(name, api, { invokeArn, resultTtlSeconds: settings.authorizerResultTtlSeconds, executionArnForId, routeRules }, this));
  }

  /** Lets the program create an API's stages now that its authorizer exists (see `deployStages`). */
  private deployStages(index: number, settings: ResolvedSettings, attachment: ApiAttachment, accessLogSettings: pulumi.Output<AccessLogDestination> | undefined): aws.apigateway.Stage[] | undefined {
    const deploy = settings.apis[index]!.deployStages;
    if (!deploy) return undefined;
    const stages = deploy({
      authorizer: attachment.authorizer,
      gatewayResponses: attachment.gatewayResponses,
      apiKeyRequired: settings.usagePlans !== undefined,
      ...(accessLogSettings ? { accessLogSettings } : {}),
    });
    if (!Array.isArray(stages) || stages.length === 0 || !stages.every((stage) => aws.apigateway.Stage.isInstance(stage))) {
      throw new InvalidSettingError(`args.apis[${index}].deployStages`, "must return the aws.apigateway.Stage resources it created");
    }
    return stages;
  }

  private openApiScheme(name: string, settings: ResolvedSettings): pulumi.Output<Record<string, unknown>> {
    const invokeRole = new aws.iam.Role(
      `${name}-openapi-invoke`,
      {
        description: "Lets API Gateway invoke the Keygate authorizer from OpenAPI-defined APIs",
        assumeRolePolicy: this.scope().apply((scope) => JSON.stringify(apiGatewayAssumeRolePolicy(scope))),
        tags: settings.tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-openapi-invoke`,
      { role: invokeRole.id, policy: this.fn.arn.apply((functionArn) => JSON.stringify(invokeAuthorizerPolicy(functionArn))) },
      { parent: this },
    );
    return pulumi.all([this.fn.invokeArn, invokeRole.arn]).apply(([authorizerUri, authorizerCredentials]) =>
      openApiSecurityScheme({ authorizerType: settings.authorizerType, identitySource: identitySourceOf(settings), authorizerUri, authorizerCredentials, resultTtlSeconds: settings.authorizerResultTtlSeconds }),
    );
  }
}

/**
 * Usage plans and AWS WAF exist for REST APIs only. With HTTP APIs alone the settings are refused
 * (resolve-settings.ts); with both kinds, preview says which APIs they leave out.
 */
function warnOfRestOnlyFeatures(settings: ResolvedSettings, component: pulumi.Resource): void {
  if (settings.httpApis.length === 0) return;
  const httpApis = settings.httpApis.map((api) => api.key).join(", ");
  if (settings.usagePlans) {
    void pulumi.log.warn(
      `usagePlans meter the REST APIs in apis only: HTTP APIs have no usage plans, so requests to the HTTP APIs in httpApis (${httpApis}) are not throttled or counted per user`,
      component,
    );
  }
  if (settings.wafRequestsPerFiveMinutesPerIp !== undefined) {
    void pulumi.log.warn(
      `waf protects the stages of the REST APIs in apis only: AWS WAF cannot be associated with an HTTP API's stage, so the HTTP APIs in httpApis (${httpApis}) have no web ACL`,
      component,
    );
  }
}

/** The authorizer's identity sources: with route rules on a REQUEST authorizer, the route too (see openapi.ts). */
function identitySourceOf(settings: ResolvedSettings): string {
  return identitySource(settings.authorizerType, Object.keys(settings.routeScopes).length > 0);
}
