package demo

import (
	"math"
	"strconv"
	"strings"

	"github.com/chainrisk/chainrisk/credit"
	"github.com/chainrisk/chainrisk/demo/internal/heilongjiang"
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
