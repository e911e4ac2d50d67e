package demo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo/internal/heilongjiang"
)

// ProvinceOptions sizes a synthetic province (SPEC §9 `chainriskctl gen`, §14).
type ProvinceOptions struct {
	Firms         int     // number of enterprises, at least 2
	EdgesPerFirm  float64 // mean number of suppliers per firm
	EventsPerFirm float64 // mean number of credit events per firm
	Leaders       int     // leading firms: the first Leaders rows of enterprises.csv
	Seed          uint64  // same options, same seed: byte-identical files
	// Anchor is the data's "now": events occur in the three years before it. Zero means
	// AnchorTime(), so that the output depends on the options only.
	Anchor time.Time
}

// ProvinceStats describes what GenerateProvince wrote.
type ProvinceStats struct {
	Firms, Leaders, Relations, Events, Repairs int
	MaxInDegree, MaxOutDegree                  int     // suppliers of one customer, customers of one supplier
	MeanLeaderInDegree                         float64 // suppliers per leading firm
	Bytes                                      map[credit.Kind]int64
}

// Limits of GenerateProvince's options.
const (
	MaxProvinceFirms = 100_000_000
	// MaxProvinceEdgesPerFirm keeps drawing distinct suppliers cheap.
	MaxProvinceEdgesPerFirm = 1000
)

// provinceIndustry is a kind of firm of the synthetic province.
type provinceIndustry struct {
	code    string
	tails   []string // name endings
	product string   // what it sells
	weight  int      // relative number of firms
	revenue float64  // median yearly revenue, CNY
	coop    bool     // some are farmers' cooperatives
}

var provinceIndustries = []provinceIndustry{
	{"A0121", []string{"大豆种植专业合作社", "现代农业发展有限公司"}, "大豆", 60, 3e7, true},
	{"A0113", []string{"玉米种植专业合作社", "农业开发有限公司"}, "玉米", 60, 3e7, true},
	{"A0111", []string{"水稻种植专业合作社", "米业有限公司"}, "稻谷", 40, 3e7, true},
	{"A0311", []string{"奶牛养殖专业合作社", "现代牧业有限公司"}, "生鲜乳", 25, 5e7, true},
	{"A0241", []string{"林业有限公司", "林产品有限公司"}, "原木", 15, 3e7, false},
	{"B0610", []string{"煤业有限公司", "矿业有限公司"}, "原料煤", 10, 3e8, false},
	{"B0711", []string{"油气开发有限公司"}, "原油", 2, 2e9, false},
	{"C1311", []string{"米业有限公司", "粮食加工有限公司"}, "大米", 30, 1e8, false},
	{"C1331", []string{"油脂有限公司", "粮油工业有限公司"}, "豆油", 15, 3e8, false},
	{"C1329", []string{"饲料有限公司"}, "饲料", 15, 2e8, false},
	{"C1391", []string{"淀粉有限公司", "生化科技有限公司"}, "玉米淀粉", 10, 2e8, false},
	{"C1441", []string{"乳业有限公司", "乳品有限公司"}, "液态奶", 8, 5e8, false},
	{"C2021", []string{"人造板有限公司", "木业有限公司"}, "胶合板", 12, 5e7, false},
	{"C2221", []string{"纸业有限公司"}, "纸板", 8, 2e8, false},
	{"C2231", []string{"包装制品有限公司", "纸业包装有限公司"}, "包装纸箱", 20, 5e7, false},
	{"C2511", []string{"石化有限公司", "炼化有限公司"}, "成品油", 2, 5e9, false},
	{"C2614", []string{"化工有限公司", "精细化工有限公司"}, "有机化工原料", 10, 3e8, false},
	{"C2624", []string{"肥业有限公司", "化肥有限公司"}, "复合肥", 10, 2e8, false},
	{"C2651", []string{"合成材料有限公司"}, "聚乙烯", 4, 5e8, false},
	{"C2926", []string{"塑料制品有限公司", "塑业有限公司"}, "塑料包装容器", 20, 5e7, false},
	{"C3130", []string{"钢铁有限公司", "特钢有限公司"}, "钢材", 6, 1e9, false},
	{"C3391", []string{"铸造有限公司"}, "铸件", 15, 5e7, false},
	{"C3411", []string{"锅炉有限公司", "热能设备有限公司"}, "工业锅炉", 6, 2e8, false},
	{"C3441", []string{"泵业有限公司"}, "工业泵", 8, 1e8, false},
	{"C3444", []string{"液压科技有限公司", "液压件有限公司"}, "液压件", 10, 8e7, false},
	{"C3451", []string{"轴承有限公司", "精密轴承有限公司"}, "轴承", 10, 1e8, false},
	{"C3511", []string{"矿山机械有限公司"}, "矿山机械", 6, 2e8, false},
	{"C3572", []string{"农业机械有限公司", "农机装备有限公司"}, "农机具", 12, 1e8, false},
	{"C3670", []string{"汽车零部件有限公司"}, "汽车零部件", 12, 1e8, false},
	{"C3812", []string{"电机有限公司"}, "电动机", 6, 2e8, false},
	{"C4011", []string{"自动化仪表有限公司", "测控技术有限公司"}, "自动化仪表", 6, 8e7, false},
	{"F5121", []string{"粮油贸易有限公司"}, "粮油", 30, 1e8, false},
	{"F5162", []string{"石油销售有限公司", "能源有限公司"}, "柴油", 10, 3e8, false},
	{"F5212", []string{"超市连锁有限公司", "商贸有限公司"}, "日用消费品", 25, 1e8, false},
	{"G5431", []string{"物流有限公司", "运输有限公司"}, "道路运输服务", 40, 5e7, false},
	{"G5432", []string{"冷链物流有限公司"}, "冷链运输服务", 10, 5e7, false},
	{"G5951", []string{"粮食储备库有限公司", "粮食仓储有限公司"}, "仓储服务", 12, 3e7, false},
}

// provinceLeaderIndustries indexes the processing industries leading firms come from.
var provinceLeaderIndustries = func() []int {
	var idx []int
	for i, ind := range provinceIndustries {
		switch ind.code {
		case "C1311", "C1331", "C1329", "C1441", "C2511", "C2614", "C3130", "C3572", "F5121", "G5431":
			idx = append(idx, i)
		}
	}
	return idx
}()

// provinceRegionWeights weights heilongjiang.Regions by economic size.
var provinceRegionWeights = map[string]int{
	"230100": 10, "230102": 8, "230103": 10, "230104": 6, "230108": 5, "230109": 5, "230110": 6,
	"230111": 4, "230112": 3, "230113": 4, "230200": 12, "230300": 5, "230400": 3, "230500": 4,
	"230600": 12, "230700": 3, "230800": 7, "230900": 3, "231000": 8, "231100": 4, "231200": 8, "232700": 1,
}

// provinceEvent is one event type of the synthetic data set with its relative
// frequency: mostly medium, low and info, few critical.
type provinceEvent struct {
	name        string
	weight      int
	source      string
	description string
	amount      [2]float64 // CNY, log-uniform; zero: none
	repair      float64    // share of events repaired
	repairedBy  string
}

var provinceEvents = []provinceEvent{
	{"serious_dishonesty_list", 2, "信用黑龙江", "拒不履行法定义务且情节严重，被列入严重失信主体名单", [2]float64{}, 0, ""},
	{"dishonest_judgment_debtor", 5, "中国执行信息公开网", "有履行能力而拒不履行生效法律文书确定的义务，被纳入失信被执行人名单", [2]float64{5e5, 5e7}, 0.05, "人民法院"},
	{"major_tax_violation", 1, "国家税务总局黑龙江省税务局", "虚开增值税专用发票，被认定为重大税收违法失信主体", [2]float64{1e6, 5e7}, 0, ""},
	{"bankruptcy", 1, "全国企业破产重整案件信息网", "人民法院裁定受理破产清算申请", [2]float64{1e7, 1e9}, 0, ""},
	{"license_revoked", 3, "国家企业信用信息公示系统", "无正当理由超过六个月未开业，被吊销营业执照", [2]float64{}, 0, ""},
	{"consumption_restriction", 10, "中国执行信息公开网", "未按执行通知履行给付义务，被采取限制消费措施", [2]float64{5e5, 5e7}, 0, ""},
	{"penalty_serious", 8, "信用黑龙江", "超标排放污染物且拒不改正，被处以罚款并责令停产整治", [2]float64{1e5, 2e6}, 0, ""},
	{"tax_arrears", 25, "国家税务总局黑龙江省税务局", "欠缴增值税及附加税费，被列入欠税公告", [2]float64{1e5, 1e7}, 0.1, "国家税务总局黑龙江省税务局"},
	{"equity_freeze", 12, "国家企业信用信息公示系统", "股东所持公司股权被人民法院冻结", [2]float64{1e6, 5e7}, 0, ""},
	{"abnormal_operation", 90, "国家企业信用信息公示系统", "未按规定期限公示年度报告，被列入经营异常名录", [2]float64{}, 0.3, "黑龙江省市场监督管理局"},
	{"judgment_debtor", 60, "中国执行信息公开网", "因买卖合同纠纷被人民法院立案执行", [2]float64{1e5, 2e7}, 0.05, "人民法院"},
	{"penalty_general", 80, "信用黑龙江", "未按规定对特种设备进行定期检验，被处以罚款", [2]float64{1e4, 3e5}, 0.1, "黑龙江省发展和改革委员会"},
	{"social_insurance_arrears", 40, "黑龙江省人力资源和社会保障厅", "欠缴职工社会保险费，经催缴逾期仍未缴纳", [2]float64{5e4, 2e6}, 0.1, "黑龙江省人力资源和社会保障厅"},
	{"overdue_payment", 50, "信用黑龙江", "拖欠中小企业货款逾期未付，经投诉核实", [2]float64{1e5, 1e7}, 0.1, "黑龙江省发展和改革委员会"},
	{"utility_arrears", 60, "信用黑龙江", "拖欠电费逾期三个月以上未缴", [2]float64{1e4, 5e5}, 0.1, "黑龙江省发展和改革委员会"},
	{"penalty_minor", 200, "信用黑龙江", "未按规定公示营业执照，被责令改正并予以警告", [2]float64{}, 0, ""},
	{"honor", 60, "信用黑龙江", "获评诚信示范企业", [2]float64{}, 0, ""},
	{"a_level_taxpayer", 180, "国家税务总局黑龙江省税务局", "被评为纳税信用A级纳税人", [2]float64{}, 0, ""},
	{"contract_abiding", 60, "黑龙江省市场监督管理局", "被认定为“守合同重信用”企业", [2]float64{}, 0, ""},
	{"commitment_kept", 53, "信用黑龙江", "按期履行信用承诺，承诺事项经核查办结", [2]float64{}, 0, ""},
}

const (
	provinceHistoryDays  = 3 * 365 // events occur up to three years before the anchor
	provinceContractDays = 3000    // relations started up to this many days before it
	provinceFutureDays   = 5 * 366 // and may end this many days after it
	micro                = 1_000_000
)

// Degree distributions. A firm's number of suppliers follows a Lomax (Pareto II) law
// with tail index inAlpha; a leader's follows a Pareto law with index leaderAlpha from
// leaderMinFactor × EdgesPerFirm; suppliers are drawn in proportion to a Pareto
// weight with index outAlpha (a Chung–Lu graph), leaders' weights multiplied by
// leaderOutFactor. Both degree sequences are heavy-tailed; cycles abound.
const (
	inAlpha         = 2.5
	leaderAlpha     = 1.6
	leaderMinFactor = 40
	outAlpha        = 1.8
	leaderOutFactor = 30
)

// GenerateProvince writes a synthetic province in the CSV formats of SPEC §3 to the
// writers of w (kinds without a writer are generated and discarded): heavy-tailed
// supply relations around opts.Leaders hubs, credit events over three years, and a
// few repairs. Shares respect Σ purchase_share ≤ 1 per customer and Σ sales_share ≤ 1
// per supplier; every USCC is valid. Memory stays near 100 bytes per firm and 8 per
// relation; rows are streamed.
func GenerateProvince(opts ProvinceOptions, w map[credit.Kind]io.Writer) (ProvinceStats, error) {
	if err := opts.Validate(); err != nil {
		return ProvinceStats{}, err
	}
	if opts.Anchor.IsZero() {
		opts.Anchor = AnchorTime()
	}
	out := make(map[credit.Kind]*countingWriter, len(credit.Kinds))
	for _, k := range credit.Kinds {
		dst := w[k]
		if dst == nil {
			dst = io.Discard
		}
		out[k] = &countingWriter{w: bufio.NewWriterSize(dst, 1<<20)}
	}
	g := newProvince(opts)
	g.firms()
	g.relations()
	stats := ProvinceStats{Firms: g.n, Leaders: g.leaders, Relations: len(g.sup), Bytes: map[credit.Kind]int64{}}
	for j := 0; j < g.n; j++ {
		d := int(g.off[j+1] - g.off[j])
		stats.MaxInDegree = max(stats.MaxInDegree, d)
		stats.MaxOutDegree = max(stats.MaxOutDegree, int(g.outDeg[j]))
		if j < g.leaders {
			stats.MeanLeaderInDegree += float64(d) / float64(g.leaders)
		}
	}
	g.writeEnterprises(out[credit.KindEnterprises])
	g.writeRelations(out[credit.KindRelations])
	stats.Events, stats.Repairs = g.writeEvents(out[credit.KindEvents], out[credit.KindRepairs])
	var errs []error
	for _, k := range credit.Kinds {
		cw := out[k]
		if err := cw.w.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", FileName(k), err))
		}
		stats.Bytes[k] = cw.n
	}
	return stats, errors.Join(errs...)
}

// Validate reports every option out of range; GenerateProvince refuses such options.
func (o ProvinceOptions) Validate() error {
	var errs []error
	if o.Firms < 2 || o.Firms > MaxProvinceFirms {
		errs = append(errs, fmt.Errorf("firms must be between 2 and %d, got %d", MaxProvinceFirms, o.Firms))
	}
	if o.Leaders < 0 || o.Leaders > o.Firms/2 {
		errs = append(errs, fmt.Errorf("leaders must be between 0 and half the firms, got %d", o.Leaders))
	}
	if !(o.EdgesPerFirm >= 0) || o.EdgesPerFirm > MaxProvinceEdgesPerFirm || o.EdgesPerFirm > float64(o.Firms)/10 {
		errs = append(errs, fmt.Errorf("edges per firm must be between 0 and min(%d, firms/10), got %v",
			MaxProvinceEdgesPerFirm, o.EdgesPerFirm))
	}
	if !(o.EventsPerFirm >= 0) || o.EventsPerFirm > 1000 {
		errs = append(errs, fmt.Errorf("events per firm must be between 0 and 1000, got %v", o.EventsPerFirm))
	}
	return errors.Join(errs...)
}

// countingWriter counts what goes through a bufio.Writer; write errors stick in the
// bufio.Writer and surface at Flush.
type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) write(b []byte) {
	n, _ := c.w.Write(b)
	c.n += int64(n)
}

// province is the generator's state; every slice is indexed by firm or by relation.
type province struct {
	opts    ProvinceOptions
	rng     *rand.Rand
	n       int
	leaders int

	uscc     []byte    // 18 bytes per firm
	region   []uint8   // index into heilongjiang.Regions
	industry []uint8   // index into provinceIndustries
	coop     []bool    // registered as a farmers' cooperative
	baseRev  []float32 // revenue before sales are accounted for
	rev      []float64 // yearly revenue, CNY
	outDeg   []int32
	off      []int   // suppliers of customer j: sup[off[j]:off[j+1]]
	sup      []int32 // supplier of each relation
	psMicro  []int32 // purchase share of each relation, in millionths

	regionPick, industryPick []int // cumulative weights
	brands                   [][]string
	dates                    [][]byte // dates[d] is the anchor + d − dateZero, formatted
	dateZero                 int
	buf                      []byte
}

func newProvince(opts ProvinceOptions) *province {
	g := &province{
		opts: opts, n: opts.Firms, leaders: opts.Leaders,
		rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		buf: make([]byte, 0, 1024),
	}
	total := 0
	for _, r := range heilongjiang.Regions {
		total += provinceRegionWeights[r.Code]
		g.regionPick = append(g.regionPick, total)
		g.brands = append(g.brands, heilongjiang.BrandsFor(r.Code))
	}
	total = 0
	for _, ind := range provinceIndustries {
		total += ind.weight
		g.industryPick = append(g.industryPick, total)
	}
	g.dateZero = provinceHistoryDays + provinceContractDays
	for d := -g.dateZero; d <= provinceFutureDays; d++ {
		g.dates = append(g.dates, []byte(opts.Anchor.AddDate(0, 0, d).Format(time.DateOnly)))
	}
	return g
}

// date returns the formatted date d days after the anchor.
func (g *province) date(d int) []byte { return g.dates[d+g.dateZero] }

func pickCumulative(rng *rand.Rand, cum []int) int {
	x := rng.IntN(cum[len(cum)-1])
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// pareto draws from a Pareto law with minimum 1 and tail index alpha.
func (g *province) pareto(alpha float64) float64 {
	return math.Pow(1-g.rng.Float64(), -1/alpha)
}

// firms draws every firm's division, industry, base revenue and USCC. The USCC's
// organisation code numbers the firm through a bijection of [0, 31^6), so codes are
// unique without bookkeeping.
func (g *province) firms() {
	g.uscc = make([]byte, 0, 18*g.n)
	g.region = make([]uint8, g.n)
	g.industry = make([]uint8, g.n)
	g.coop = make([]bool, g.n)
	g.baseRev = make([]float32, g.n)
	// Firm i gets body number (i + offset) × mult mod 31^6: mult = 3^18 is coprime with
	// 31, so the map is a bijection; offset ≥ 1 keeps firm 0 away from MA000000.
	const mult = 387_420_489
	offset := 1 + g.opts.Seed%(heilongjiang.IndexSpace-1)
	var body [8]byte
	for i := 0; i < g.n; i++ {
		r := pickCumulative(g.rng, g.regionPick)
		ind := pickCumulative(g.rng, g.industryPick)
		if i < g.leaders {
			ind = provinceLeaderIndustries[g.rng.IntN(len(provinceLeaderIndustries))]
		}
		g.region[i], g.industry[i] = uint8(r), uint8(ind)
		g.coop[i] = provinceIndustries[ind].coop && g.rng.IntN(3) == 0 && i >= g.leaders
		scale := provinceIndustries[ind].revenue
		if i < g.leaders {
			scale = 5e9
		}
		g.baseRev[i] = float32(scale * math.Exp(0.8*g.rng.NormFloat64()))
		prefix := heilongjiang.PrefixEnterprise
		if g.coop[i] {
			prefix = heilongjiang.PrefixCooperative
		}
		heilongjiang.IndexBody(&body, (uint64(i)+offset)%heilongjiang.IndexSpace*mult%heilongjiang.IndexSpace)
		start := len(g.uscc)
		g.uscc = append(g.uscc, prefix...)
		g.uscc = append(g.uscc, heilongjiang.Regions[r].Code...)
		g.uscc = heilongjiang.AppendOrgCode(g.uscc, &body)
		c, err := credit.USCCCheckChar(string(g.uscc[start:]))
		if err != nil {
			panic(err) // the parts come from the USCC charset
		}
		g.uscc = append(g.uscc, c)
	}
}

func (g *province) usccOf(i int) []byte { return g.uscc[18*i : 18*i+18] }

// alias is Vose's alias table for drawing firms in proportion to their weights.
type alias struct {
	prob  []float32
	alias []int32
}

func newAlias(w []float64) alias {
	n := len(w)
	a := alias{prob: make([]float32, n), alias: make([]int32, n)}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	small, large := make([]int32, 0, n), make([]int32, 0, n)
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s], a.alias[s] = float32(scaled[s]), l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.prob[i], a.alias[i] = 1, i
	}
	for _, i := range small {
		a.prob[i], a.alias[i] = 1, i
	}
	return a
}

func (a alias) draw(rng *rand.Rand) int {
	i := rng.IntN(len(a.prob))
	if rng.Float32() < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}

// relations draws the supply graph and the purchase shares, and sets revenues so that
// every supplier's sales inside the province fit into its revenue.
func (g *province) relations() {
	n, k := g.n, g.opts.EdgesPerFirm
	maxIn := min(n/8, 250_000) // distinct suppliers stay cheap to draw; shares stay ≥ 1e-6
	inDeg := make([]int32, n)
	total := 0
	for j := 0; j < g.leaders; j++ {
		d := int(leaderMinFactor * k * g.pareto(leaderAlpha))
		inDeg[j] = int32(min(d, maxIn))
		total += int(inDeg[j])
	}
	if rest := k*float64(n) - float64(total); rest > 0 && n > g.leaders {
		xm := rest / float64(n-g.leaders) * (inAlpha - 1) // Lomax mean is xm/(α−1)
		for j := g.leaders; j < n; j++ {
			d := int(xm*(g.pareto(inAlpha)-1) + g.rng.Float64())
			inDeg[j] = int32(min(d, maxIn))
		}
	}

	weights := make([]float64, n)
	wsum := 0.0
	for i := range weights {
		weights[i] = g.pareto(outAlpha)
		if i < g.leaders {
			weights[i] *= leaderOutFactor
		}
		wsum += weights[i]
	}
	for i := range weights { // no supplier expects more than 2 % of all relations
		weights[i] = min(weights[i], 0.02*wsum)
	}
	pick := newAlias(weights)
	weights = nil

	g.off = make([]int, n+1)
	for j := 0; j < n; j++ {
		g.off[j+1] = g.off[j] + int(inDeg[j])
	}
	m := g.off[n]
	g.sup = make([]int32, m)
	g.psMicro = make([]int32, m)
	g.outDeg = make([]int32, n)
	outAmount := make([]float64, n)
	mark := make([]int32, n) // mark[i] == j+1: i already supplies j
	split := make([]float64, 0, 64)
	for j := 0; j < n; j++ {
		lo, hi := g.off[j], g.off[j+1]
		if lo == hi {
			continue
		}
		for e := lo; e < hi; e++ {
			for tries := 0; ; tries++ {
				var s int
				if tries < 32 {
					s = pick.draw(g.rng)
				} else { // a customer of the biggest hubs: fall back to uniform
					s = g.rng.IntN(n)
				}
				if s != j && mark[s] != int32(j+1) {
					mark[s] = int32(j + 1)
					g.sup[e] = int32(s)
					break
				}
			}
		}
		// Purchase shares: a total T < 1 split Dirichlet(1)-wise, in millionths with
		// at least one each, so that the sum never exceeds T.
		t := 0.3 + 0.6*g.rng.Float64()
		if j < g.leaders {
			t = 0.75 + 0.17*g.rng.Float64()
		}
		split = split[:0]
		sum := 0.0
		for e := lo; e < hi; e++ {
			x := g.rng.ExpFloat64()
			split = append(split, x)
			sum += x
		}
		budget := t*micro - float64(hi-lo)
		purchases := 0.7 * float64(g.baseRev[j])
		for i, x := range split {
			e := lo + i
			ps := 1 + int32(budget*x/sum)
			g.psMicro[e] = ps
			s := g.sup[e]
			g.outDeg[s]++
			outAmount[s] += float64(ps) / micro * purchases
		}
	}
	g.rev = make([]float64, n)
	for i := range g.rev {
		inside := 0.4 + 0.55*g.rng.Float64()
		g.rev[i] = max(float64(g.baseRev[i]), outAmount[i]/inside)
	}
}

var (
	statusNames = []string{"active", "abnormal", "revoked", "deregistered", "bankrupt"}
	csvHeader   = map[credit.Kind]string{
		credit.KindEnterprises: "uscc,name,region,industry,tags,status,revenue\n",
		credit.KindRelations:   "supplier,customer,purchase_share,sales_share,substitutability,amount,product,valid_from,valid_to\n",
		credit.KindEvents:      "event_id,uscc,type,occurred_at,publish_until,source,amount,description\n",
		credit.KindRepairs:     "event_id,repaired_at,decided_by,reason\n",
	}
)

func (g *province) writeEnterprises(w *countingWriter) {
	w.write([]byte(csvHeader[credit.KindEnterprises]))
	for i := 0; i < g.n; i++ {
		r, ind := heilongjiang.Regions[g.region[i]], &provinceIndustries[g.industry[i]]
		status, listed, special, giant := 0, false, false, false
		if i < g.leaders {
			listed = g.rng.IntN(5) < 2
		} else {
			switch x := g.rng.IntN(1000); {
			case x < 25:
				status = 1
			case x < 35:
				status = 2
			case x < 40:
				status = 3
			case x < 45:
				status = 4
			}
			special = g.rng.IntN(100) < 3
			giant = special && g.rng.IntN(100) < 15
			listed = g.rng.IntN(1000) < 2
		}
		b := append(g.buf[:0], g.usccOf(i)...)
		b = append(b, ',')
		b = append(b, r.City...)
		brands := g.brands[g.region[i]]
		b = append(b, brands[g.rng.IntN(len(brands))]...)
		b = append(b, heilongjiang.Marks[g.rng.IntN(len(heilongjiang.Marks))]...)
		tail := ind.tails[0]
		if !g.coop[i] {
			tail = ind.tails[len(ind.tails)-1]
			if len(ind.tails) > 1 && !ind.coop {
				tail = ind.tails[g.rng.IntN(len(ind.tails))]
			}
		}
		if stem, ok := strings.CutSuffix(tail, "有限公司"); ok {
			if i < g.leaders {
				stem += "集团"
			}
			if listed {
				stem += "股份" // a listed company is joint-stock
			}
			b = append(b, stem...)
			b = append(b, "有限公司"...)
		} else {
			b = append(b, tail...)
		}
		b = append(b, ',')
		b = append(b, r.Code...)
		b = append(b, ',')
		b = append(b, ind.code...)
		b = append(b, ',')
		sep := false
		for _, tag := range []struct {
			on   bool
			name string
		}{{i < g.leaders, credit.TagLeading}, {special, credit.TagSpecialized}, {giant, credit.TagLittleGiant}, {listed, credit.TagListed}} {
			if tag.on {
				if sep {
					b = append(b, ';')
				}
				b, sep = append(b, tag.name...), true
			}
		}
		b = append(b, ',')
		b = append(b, statusNames[status]...)
		b = append(b, ',')
		if i < g.leaders || g.rng.IntN(10) != 0 {
			b = strconv.AppendInt(b, int64(math.Round(g.rev[i]/1e4))*1e4, 10)
		}
		b = append(b, '\n')
		w.write(b)
		g.buf = b
	}
}

// appendMicro appends v millionths as a decimal: 1, 0.25, 0.000001.
func appendMicro(b []byte, v int32) []byte {
	if v >= micro {
		return append(b, '1')
	}
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	end := 6
	for end > 1 && d[end-1] == '0' {
		end--
	}
	b = append(b, '0', '.')
	return append(b, d[:end]...)
}

func (g *province) writeRelations(w *countingWriter) {
	w.write([]byte(csvHeader[credit.KindRelations]))
	for j := 0; j < g.n; j++ {
		purchases := 0.7 * float64(g.baseRev[j])
		for e := g.off[j]; e < g.off[j+1]; e++ {
			s := int(g.sup[e])
			ps := g.psMicro[e]
			amount := float64(ps) / micro * purchases
			// Sales shares in millionths: Σ over a supplier's customers stays ≤ 1
			// because its sales inside the province are at most 95 % of its revenue.
			ss := 1 + int32(amount/g.rev[s]*float64(micro-g.outDeg[s]))
			subst := 5 + g.rng.IntN(91) // hundredths, 0.05–0.95
			b := append(g.buf[:0], g.usccOf(s)...)
			b = append(b, ',')
			b = append(b, g.usccOf(j)...)
			b = append(b, ',')
			b = appendMicro(b, ps)
			b = append(b, ',')
			b = appendMicro(b, min(ss, micro))
			b = append(b, ',', '0', '.', byte('0'+subst/10), byte('0'+subst%10), ',')
			if g.rng.IntN(10) != 0 {
				b = strconv.AppendInt(b, int64(math.Round(amount/1e4))*1e4, 10)
			}
			b = append(b, ',')
			b = append(b, provinceIndustries[g.industry[s]].product...)
			b = append(b, ',')
			b = append(b, g.date(-30-g.rng.IntN(provinceContractDays-30))...)
			b = append(b, ',')
			if g.rng.IntN(5) == 0 {
				b = append(b, g.date(30+g.rng.IntN(provinceFutureDays-30))...)
			}
			b = append(b, '\n')
			w.write(b)
			g.buf = b
		}
	}
}

// writeEvents streams events (and the repairs of some of them) of random firms,
// dated over the three years before the anchor.
func (g *province) writeEvents(w, rw *countingWriter) (events, repairs int) {
	w.write([]byte(csvHeader[credit.KindEvents]))
	rw.write([]byte(csvHeader[credit.KindRepairs]))
	cat := credit.NewCatalogue()
	cum := make([]int, len(provinceEvents))
	publicity := make([][]int, len(provinceEvents)) // [type][age] → days from occurrence to end of publicity, −1: none
	total := 0
	for t, pe := range provinceEvents {
		total += pe.weight
		cum[t] = total
		et, ok := cat.Lookup(pe.name)
		if !ok {
			panic("province event type not in the catalogue: " + pe.name)
		}
		publicity[t] = make([]int, provinceHistoryDays+1)
		for age := range publicity[t] {
			at := g.opts.Anchor.AddDate(0, 0, -age)
			if end := et.Publicity.After(at); end.IsZero() {
				publicity[t][age] = -1
			} else {
				publicity[t][age] = int(math.Round(end.Sub(at).Hours() / 24))
			}
		}
	}
	count := int(math.Round(g.opts.EventsPerFirm * float64(g.n)))
	var id [14]byte // SYN-0000000001
	copy(id[:], "SYN-")
	for k := 0; k < count; k++ {
		v := k + 1
		for i := len(id) - 1; i >= 4; i-- {
			id[i] = byte('0' + v%10)
			v /= 10
		}
		t := pickCumulative(g.rng, cum)
		pe := &provinceEvents[t]
		firm := g.rng.IntN(g.n)
		age := g.rng.IntN(provinceHistoryDays + 1)
		b := append(g.buf[:0], id[:]...)
		b = append(b, ',')
		b = append(b, g.usccOf(firm)...)
		b = append(b, ',')
		b = append(b, pe.name...)
		b = append(b, ',')
		b = append(b, g.date(-age)...)
		b = append(b, ',')
		if p := publicity[t][age]; p >= 0 {
			b = append(b, g.date(-age+p)...)
		}
		b = append(b, ',')
		b = append(b, pe.source...)
		b = append(b, ',')
		if pe.amount[0] > 0 {
			lo, hi := math.Log(pe.amount[0]), math.Log(pe.amount[1])
			b = strconv.AppendInt(b, int64(math.Round(math.Exp(lo+(hi-lo)*g.rng.Float64())/1e3))*1e3, 10)
		}
		b = append(b, ',')
		b = append(b, pe.description...)
		b = append(b, '\n')
		w.write(b)
		g.buf = b
		events++

		if pe.repair > 0 && age >= 100 && g.rng.Float64() < pe.repair {
			delay := 10 + g.rng.IntN(age-10)
			if pe.name == "penalty_general" {
				delay = 92 + g.rng.IntN(age-92) // public for at least three months first
			}
			b = append(g.buf[:0], id[:]...)
			b = append(b, ',')
			b = append(b, g.date(-age+delay)...)
			b = append(b, ',')
			b = append(b, pe.repairedBy...)
			b = append(b, ",已履行相关义务并完成整改，经核查符合信用修复条件\n"...)
			rw.write(b)
			g.buf = b
			repairs++
		}
	}
	return events, repairs
}
