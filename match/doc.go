// Package match turns company names, as supplier lists write them, into the USCCs of
// known firms. It is a pure core: an Index built from firms answers Match, without a
// store or an API.
//
// # Normalization
//
// Normalize reduces a name to its core: full- and half-width forms are folded
// (golang.org/x/text/width), Latin letters lower-cased, brackets of every width and kind
// removed with their content kept, spaces and punctuation removed; then the legal-form
// ending (有限公司, 股份有限公司, 集团有限公司, 厂, 合伙企业（有限合伙）, …) and leading
// administrative names (黑龙江省, 广西壮族自治区, 哈尔滨市, 南岗区, …) are stripped, again
// and again until nothing changes. A branch keeps its marker: XX有限公司哈尔滨分公司 becomes
// XX哈尔滨分公司 and never equals its head office's XX. No strip leaves fewer than
// MinRunes runes (黑龙江省有限公司 keeps 黑龙江省), so a core is never empty, and
// Normalize is idempotent. The administrative names are lists (admin.go): provinces,
// the prefecture-level cities of Heilongjiang and the country's large cities, and
// Harbin's and Daqing's districts and counties; admin.go says how to extend them.
//
// Stripping a leading city loses what it said: 哈尔滨松雷商业 and 牡丹江松雷商业 share the
// core 松雷商业. The region hint (below) is how a caller tells them apart.
//
// # Scoring
//
// A firm's Name and every FormerName (曾用名) with a different core is an entry. The
// score of an entry for a query is the Dice coefficient of the two cores' sets of
// character bigrams, 2·|Q∩C| / (|Q|+|C|), plus RegionBonus (0.05) when the firm lies in
// the hinted region, at most 1; a firm's score is that of its best entry. Dice rewards
// shared runs of characters, is symmetric, needs no training, and counts from posting
// lists (bigram → ascending entry ids, in one flat array). Entries sharing too few
// bigrams to reach CandidateScore (0.5) are never visited (prefix filtering:
// candidates.go), and at most 20,000 entries are scored per query.
//
// A region hint is a 6-digit division code; a firm lies in it when both codes have the
// same first four digits (the same prefecture: 230103 南岗区 is in 230100 哈尔滨), or the
// same first two when the hint is a province's code (230000).
//
// # Statuses
//
//   - exact: the query's core equals the core of exactly one firm's Name or former
//     name. When several firms share that core the answer is ambiguous, unless exactly
//     one of them lies in the hinted region: then it is exact with confidence 0.95 and
//     RegionTieBreak set.
//   - unique: no exact match, the best firm scores at least UniqueScore (0.9) and the
//     next less than RunnerUpScore (0.75). Its confidence is its score.
//   - ambiguous: firms score at least CandidateScore, and none is chosen.
//   - none: no firm does.
//
// Up to MaxCandidates (5) candidates are listed, best first (score, then the hinted
// region, then the order the firms were given in).
//
// A USCC hint naming an indexed firm that has the query's core chooses that firm as an
// exact match, even among firms sharing the core. A hint naming an indexed firm without
// it is a conflict: Result.Conflict names the hinted firm and the one the name alone
// would choose, and no USCC is chosen. A hint naming no indexed firm is ignored.
//
// # Bad input
//
// Names that are not UTF-8, longer than MaxRunes (100) characters, or with fewer than
// MinRunes (2) letters and digits are refused with an *InputError whose Reason is
// ErrInvalidUTF8, ErrTooLong, ErrEmpty or ErrTooShort. NewIndex leaves such names out,
// and firms with an empty or repeated USCC, and lists them in Skipped.
package match
