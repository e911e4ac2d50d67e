// Package lists computes the graded lists of docs/models.md ("Graded lists"): named
// lists of firms — by default the incentive list (守信激励对象), the focus list
// (重点关注对象) and the discipline list (失信惩戒对象) — each defined by criteria on
// a scan's results (grade, registration status, credit events). Membership is
// computed per scan on the state's flat arrays (Compute, Patch), a bit per firm and
// list.
package lists
