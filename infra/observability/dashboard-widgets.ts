import type * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import type * as pulumi from "@pulumi/pulumi";

type Widget = awsx.classic.cloudwatch.Widget;
type WidgetJson = awsx.classic.cloudwatch.WidgetJson;

/**
 * Two widget kinds the dashboard body supports and awsx's classic widgets do not: a Logs Insights
 * table (awsx's LogWidget always draws a time series) and a Contributor Insights rule's top
 * contributors. Both plug into awsx's grid layout through its `Widget` interface; their JSON follows
 * the dashboard body structure
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
 */
abstract class SizedWidget implements Widget {
  constructor(private readonly size: { width: number; height: number }) {}
  width(): number {
    return this.size.width;
  }
  height(): number {
    return this.size.height;
  }
  abstract addWidgetJson(widgetJsons: WidgetJson[], xOffset: number, yOffset: number, region: pulumi.Output<aws.Region>): void;
}

/** A Logs Insights query shown as a table (top users, top refused keys). */
export class LogTableWidget extends SizedWidget {
  constructor(private readonly args: { title: string; query: pulumi.Input<string>; width?: number; height?: number }) {
    super({ width: args.width ?? 8, height: args.height ?? 6 });
  }
  addWidgetJson(widgetJsons: WidgetJson[], x: number, y: number, region: pulumi.Output<aws.Region>): void {
    widgetJsons.push({ type: "log", x, y, width: this.width(), height: this.height(), properties: { title: this.args.title, query: this.args.query, region, view: "table" } });
  }
}

/** The top contributors of a Contributor Insights rule over the dashboard's time range. */
export class ContributorInsightsWidget extends SizedWidget {
  constructor(private readonly args: { title: string; ruleName: pulumi.Input<string>; maxContributors?: number; width?: number; height?: number }) {
    super({ width: args.width ?? 8, height: args.height ?? 6 });
  }
  addWidgetJson(widgetJsons: WidgetJson[], x: number, y: number, region: pulumi.Output<aws.Region>): void {
    widgetJsons.push({
      type: "metric",
      x,
      y,
      width: this.width(),
      height: this.height(),
      properties: {
        title: this.args.title,
        region,
        view: "timeSeries",
        stacked: false,
        period: 300,
        legend: { position: "bottom" },
        insightRule: { ruleName: this.args.ruleName, maxContributorCount: this.args.maxContributors ?? 10, orderBy: "Sum" },
      },
    });
  }
}
