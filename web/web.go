// Package web holds what every package that answers HTTP shares, so that the API, the pages, the
// uploads and the access guard answer alike without importing one another: the HTTP status of
// each error code (mapped here and nowhere else) and the one shape of a JSON error,
//
//	{"error": {"code": "not_found", "message": "中文 / English"}}
//
// It sits under the peers (api, dashboards, uploads, access) and imports only the root.
package web

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
)

// statuses maps each error code to its HTTP status, in one place.
var statuses = map[string]int{
	minsheng.EINVALID:      http.StatusBadRequest,
	minsheng.ENOTFOUND:     http.StatusNotFound,
	minsheng.ECONFLICT:     http.StatusConflict,
	minsheng.EUNAUTHORIZED: http.StatusUnauthorized,
	minsheng.EFORBIDDEN:    http.StatusForbidden,
	minsheng.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	minsheng.ETOOMANY:      http.StatusTooManyRequests,
	minsheng.EINTERNAL:     http.StatusInternalServerError,
	minsheng.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// HTTPStatus is the HTTP status of err's code (minsheng.ErrorCode): 500 for an error that is not
// a *minsheng.Error.
func HTTPStatus(err error) int {
	if s, ok := statuses[minsheng.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// WriteError answers {"error": {"code", "message"}} with the status of the error's code. An
// error that is not a *minsheng.Error is ours: recorded on the request for the server's log, and
// shown generically.
func WriteError(c *gin.Context, err error) {
	var me *minsheng.Error
	if !errors.As(err, &me) {
		c.Error(err) //nolint:errcheck // recorded for the log, not shown
	}
	WriteStatus(c, HTTPStatus(err), minsheng.ErrorCode(err), minsheng.ErrorMessage(err))
}

// WriteStatus answers a JSON error with a status and code of the caller's (the 405 of a route
// that takes no such method has no error code of its own).
func WriteStatus(c *gin.Context, status int, code, message string) {
	c.JSON(status, gin.H{"error": gin.H{"code": code, "message": message}})
}
