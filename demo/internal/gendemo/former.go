package main

import "strings"

// formerNames are the former names (曾用名) of a few demo firms, by current name: a
// joint-stock conversion, works renamed as companies, a cooperative turned company.
// Supplier lists kept for years still write the old names; name matching finds the
// firms by them.
var formerNames = map[string][]string{
	"黑龙江松花江大豆产业集团股份有限公司": {"黑龙江松花江大豆产业集团有限公司", "黑龙江省松花江粮油有限公司"},
	"齐齐哈尔鹤乡乳业集团股份有限公司":   {"齐齐哈尔鹤乡乳品厂"},
	"哈尔滨三江通达物流股份有限公司":    {"哈尔滨三江通达运输有限公司"},
	"佳木斯三江纸业有限公司":        {"佳木斯三江造纸厂"},
	"齐齐哈尔兴安宏达塑业股份有限公司":   {"齐齐哈尔宏达塑料制品有限公司"},
	"大庆百湖长青饲料有限公司":       {"大庆市长青饲料厂"},
	"哈尔滨冰城恒信食品装备有限公司":    {"哈尔滨恒信食品机械厂"},
	"黑河兴安丰泽农业发展有限公司":     {"黑河丰泽种植专业合作社"},
}

// formerNamesOf is a firm's former_names column.
func formerNamesOf(name string) string { return strings.Join(formerNames[name], ";") }
