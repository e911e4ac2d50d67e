package match

import (
	"errors"
	"fmt"
)

// The reasons a name is refused; an *InputError wraps one of them, so callers test
// with errors.Is.
var (
	// ErrEmpty: the name is empty, or nothing but spaces, punctuation and brackets.
	ErrEmpty = errors.New("name is empty")
	// ErrTooShort: fewer than MinRunes letters or digits are left after folding.
	ErrTooShort = errors.New("name is too short")
	// ErrTooLong: the name has more than MaxRunes characters.
	ErrTooLong = errors.New("name is too long")
	// ErrInvalidUTF8: the name is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("name is not valid UTF-8")
)

// MinRunes is the fewest letters or digits a folded name may have, and the fewest a
// stripped core keeps; MaxRunes is the most characters a name may have as given
// (registered Chinese company names stay well under 60).
const (
	MinRunes = 2
	MaxRunes = 100
)

// InputError is why a name was refused: Reason is one of ErrEmpty, ErrTooShort,
// ErrTooLong and ErrInvalidUTF8. Name is the name as given, cut to 40 characters.
type InputError struct {
	Name   string
	Reason error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("company name %q: %v", e.Name, e.Reason)
}

// Unwrap returns the reason.
func (e *InputError) Unwrap() error { return e.Reason }

// inputError builds an *InputError, cutting a long name for the message.
func inputError(name string, reason error) *InputError {
	if r := []rune(name); len(r) > 40 {
		name = string(r[:40]) + "…"
	}
	return &InputError{Name: name, Reason: reason}
}
