// Package repair holds credit repair (信用修复): the repair rule of every event type —
// its category (轻微, 一般, 严重 or positive), whether and from when it may be
// repaired, until when it may be published at most, who decides and what the firm
// must do — with the defaults of NDRC Order No. 36 《信用修复管理办法》 and of the
// court lists; an event's repair status at a time; and a firm's repair plan with
// what repairs would do to its score (docs/models.md, "Credit repair").
package repair
