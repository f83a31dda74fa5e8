package minsheng

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status (web.HTTPStatus), for the API and the pages alike.
const (
	EINVALID      = "invalid"      // the input is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // already done, or another process holds the lock
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, not allowed
	ETOOLARGE     = "too_large"    // over a size limit
	ETOOMANY      = "too_many"     // too many attempts or requests for now: try again later (Retry-After)
	EINTERNAL     = "internal"     // our fault
	EUNAVAILABLE  = "unavailable"  // not ready yet, e.g. no warehouse built
)

// Error is an error a person reads: a code for machines, and the message in Chinese and English.
type Error struct {
	Code string
	Zh   string
	En   string
	Err  error // the cause, for logs; never shown to a user
}

func (e *Error) Error() string {
	msg := e.Zh + " / " + e.En
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Message is the bilingual text shown to a person.
func (e *Error) Message() string { return e.Zh + " / " + e.En }

// Errorf returns an *Error with a bilingual message; the same arguments fill both formats.
func Errorf(code, zh, en string, args ...any) *Error {
	return &Error{Code: code, Zh: fmt.Sprintf(zh, args...), En: fmt.Sprintf(en, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the bilingual message of the first *Error in err's chain, or a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message()
	}
	return "内部错误,请联系管理员 / Internal error; please contact the administrator."
}
