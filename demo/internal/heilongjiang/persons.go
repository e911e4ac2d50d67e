package heilongjiang

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Surnames are common Chinese surnames, the more frequent first; two compound ones
// show how masked names keep them whole (欧阳* rather than 欧*).
var Surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高",
	"林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧",
	"程", "曹", "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾",
	"丁", "魏", "薛", "叶", "阎", "欧阳", "司马",
}

// GivenChars are characters of given names; a name takes one or two of them.
var GivenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红建国志文利民海波东宁" +
	"德胜春雪梅冬松柏林峰岩晨阳光辉鹏飞宇航振兴福禄寿喜庆丰收成龙凤鸣")

// PersonID is the opaque person_id of the n-th person of a generator: a salted hash,
// as a source that must not send identity numbers would make one. Twenty hexadecimal
// digits are never an identity number (18 characters).
func PersonID(salt string, n int) string {
	sum := sha256.Sum256([]byte(salt + ":" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:10])
}
