package credit

import (
	"errors"
	"fmt"
)

// usccCharset is the GB 32100-2015 alphabet: digits and capitals without I, O, S, V, Z.
// A symbol's value is its index.
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue maps a byte to its symbol value, or -1 when it is not in the charset.
var usccValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(usccCharset); i++ {
		t[usccCharset[i]] = int8(i)
	}
	return t
}()

// ErrBadCheckChar reports a USCC whose 18th character does not match its first 17.
// It is the one USCC fault that ingest may tolerate (ingest.accept_bad_checksums).
var ErrBadCheckChar = errors.New("bad check character")

// USCCCheckChar computes the check character for the first 17 characters of a code.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fmt.Errorf("need 17 characters, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue[first17[i]]
		if v < 0 {
			return 0, fmt.Errorf("character %d %q is not in the USCC charset", i+1, first17[i])
		}
		sum += int(v) * usccWeights[i]
	}
	return usccCharset[(31-sum%31)%31], nil
}

// CheckUSCC validates the length, charset and check character of a code. A code whose
// only fault is its check character yields an error wrapping ErrBadCheckChar.
func CheckUSCC(code string) error {
	if len(code) != 18 {
		return fmt.Errorf("must be 18 characters, got %d", len([]rune(code)))
	}
	want, err := USCCCheckChar(code[:17])
	if err != nil {
		return err
	}
	if usccValue[code[17]] < 0 {
		return fmt.Errorf("character 18 %q is not in the USCC charset", code[17])
	}
	if code[17] != want {
		return fmt.Errorf("%w %q (expected %q)", ErrBadCheckChar, code[17], want)
	}
	return nil
}

// USCCRegion returns the administrative division code (positions 3–8) of a code.
func USCCRegion(code string) string {
	if len(code) != 18 {
		return ""
	}
	return code[2:8]
}

// MakeUSCC completes a 17-character prefix with its check character. It is meant for
// generators and tests, which build codes from known-good prefixes.
func MakeUSCC(first17 string) (string, error) {
	c, err := USCCCheckChar(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(c), nil
}
