// Package alerts owns what happens to an alert once the rules have raised it: the
// notification it becomes, the Chinese and English summaries, and the channels that
// deliver it (webhook, Alertmanager, WeCom, DingTalk, Feishu, log) under per-robot rate limits.
package alerts
