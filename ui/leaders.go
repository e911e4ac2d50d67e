package ui

import (
	"net/url"
	"slices"

	"github.com/chainrisk/chainrisk/tokens"
)

// trendLeaders is how many leaders the trend chart draws.
const trendLeaders = 10

// leaderRow is one leader of the ranking.
type leaderRow struct {
	Rank int
	leaderJSON
	// Change is chain risk now minus at the previous scan; HasChange is false with
	// one point of history.
	Change    float64
	HasChange bool
}

// lineSeries is one line of a line chart (assets/console.js draws it).
type lineSeries struct {
	Name string   `json:"name"`
	Data [][2]any `json:"data"` // [time, value]
}

type leadersView struct {
	Leaders []leaderRow
	Trend   []lineSeries
	Pager   pager
}

// leadersPage ranks the leaders by chain risk (GET /api/v1/leaders) with each
// one's change since the previous scan and a trend chart of the top ten (GET
// /api/v1/chains/{leader}/history). A tenant goes to its own chain.
func (s *Server) leadersPage(c *call) error {
	if c.sess.who.Role == tokens.RoleTenant {
		http303(c, landing(c.sess.who))
		return nil
	}
	var ls struct {
		Leaders []leaderJSON `json:"leaders"`
	}
	if err := c.get("/leaders", url.Values{"sort": {"chain_risk"}, "order": {"desc"}}, &ls); err != nil {
		return err
	}
	slices.SortStableFunc(ls.Leaders, func(a, b leaderJSON) int {
		switch {
		case a.ChainRisk > b.ChainRisk:
			return -1
		case a.ChainRisk < b.ChainRisk:
			return 1
		}
		return 0
	})
	lo, hi, pg := paginate(pathWithout(c.r, "lang"), c.r.URL.Query().Get("page"), len(ls.Leaders), 50)
	v := leadersView{Pager: pg}
	for i := lo; i < hi; i++ {
		l := ls.Leaders[i]
		row := leaderRow{Rank: i + 1, leaderJSON: l}
		var h chainHistoryJSON
		if err := c.get("/chains/"+l.USCC+"/history", url.Values{"limit": {"60"}}, &h); err != nil {
			return err
		}
		pts := h.History
		slices.SortFunc(pts, func(a, b chainPointJSON) int { return a.At.Compare(b.At) })
		if n := len(pts); n >= 2 {
			row.Change, row.HasChange = pts[n-1].ChainRisk-pts[n-2].ChainRisk, true
		}
		if i < trendLeaders {
			ser := lineSeries{Name: l.Name, Data: [][2]any{}}
			for _, p := range pts {
				ser.Data = append(ser.Data, [2]any{p.At.UnixMilli(), p.ChainRisk})
			}
			v.Trend = append(v.Trend, ser)
		}
		v.Leaders = append(v.Leaders, row)
	}
	return c.render(200, "leaders", c.t("leaders.title"), v)
}
