# CloudWatch with the hashicorp/aws provider (which speaks awsQuery to CloudWatch):
# a static-threshold alarm, a metric-math alarm, an anomaly-band alarm, a composite alarm
# over them, and a dashboard. run.sh applies it, requires a plan with no changes, then
# destroys it; check-destroyed.sh confirms nothing is left.

locals {
  namespace = "Nimbus/Terraform"
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "tf-latency-high"
  alarm_description   = "p99 latency of the API above 250 ms for 3 of 5 minutes"
  namespace           = local.namespace
  metric_name         = "Latency"
  dimensions = {
    Service = "api"
    Stage   = "prod"
  }
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = 250
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  unit                = "Milliseconds"
  alarm_actions       = ["arn:aws:sns:eu-central-1:000000000000:pager"]
  ok_actions          = ["arn:aws:sns:eu-central-1:000000000000:pager"]
  tags = {
    Team = "core"
  }
}

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  alarm_name          = "tf-error-rate"
  alarm_description   = "More than 5 % of requests fail"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 2
  threshold           = 5
  treat_missing_data  = "missing"

  metric_query {
    id          = "rate"
    expression  = "100 * errors / requests"
    label       = "Error rate"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = local.namespace
      metric_name = "Errors"
      period      = 60
      stat        = "Sum"
      dimensions = {
        Service = "api"
      }
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = local.namespace
      metric_name = "Requests"
      period      = 60
      stat        = "Sum"
      dimensions = {
        Service = "api"
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "load_band" {
  alarm_name          = "tf-load-anomaly"
  comparison_operator = "LessThanLowerOrGreaterThanUpperThreshold"
  evaluation_periods  = 2
  threshold_metric_id = "band"

  metric_query {
    id          = "band"
    expression  = "ANOMALY_DETECTION_BAND(load, 2)"
    label       = "Load (expected)"
    return_data = true
  }

  metric_query {
    id          = "load"
    return_data = true
    metric {
      namespace   = local.namespace
      metric_name = "Load"
      period      = 300
      stat        = "Average"
    }
  }
}

resource "aws_cloudwatch_composite_alarm" "service" {
  alarm_name        = "tf-service-degraded"
  alarm_description = "Latency or errors, unless the load is anomalous"
  alarm_rule        = "(ALARM(${aws_cloudwatch_metric_alarm.latency.alarm_name}) OR ALARM(\"${aws_cloudwatch_metric_alarm.error_rate.alarm_name}\")) AND NOT ALARM(${aws_cloudwatch_metric_alarm.load_band.alarm_name})"
  alarm_actions     = ["arn:aws:sns:eu-central-1:000000000000:pager"]
  tags = {
    Team = "core"
  }
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "tf-service"
  dashboard_body = jsonencode({
    widgets = [
      {
        type   = "metric"
        x      = 0
        y      = 0
        width  = 12
        height = 6
        properties = {
          metrics = [
            [local.namespace, "Latency", "Service", "api", "Stage", "prod", { stat = "p99" }],
            [".", "Errors", "Service", "api", { stat = "Sum", yAxis = "right" }],
          ]
          period = 60
          stat   = "Average"
          region = "eu-central-1"
          title  = "API"
          view   = "timeSeries"
        }
      },
      {
        type   = "alarm"
        x      = 12
        y      = 0
        width  = 6
        height = 6
        properties = {
          title  = "Alarms"
          alarms = [aws_cloudwatch_composite_alarm.service.arn]
        }
      },
      {
        type   = "text"
        x      = 0
        y      = 6
        width  = 18
        height = 2
        properties = {
          markdown = "Created by Terraform against **nimbus**; do not edit in the console."
        }
      },
    ]
  })
}

output "composite_arn" {
  value = aws_cloudwatch_composite_alarm.service.arn
}
