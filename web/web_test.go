package web_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/minsheng/minsheng"
	"github.com/minsheng/minsheng/web"
)

// Every error code has its one status; an error that is not a *minsheng.Error is ours, 500.
func TestHTTPStatus(t *testing.T) {
	for code, want := range map[string]int{
		minsheng.EINVALID: 400, minsheng.EUNAUTHORIZED: 401, minsheng.EFORBIDDEN: 403, minsheng.ENOTFOUND: 404,
		minsheng.ECONFLICT: 409, minsheng.ETOOLARGE: 413, minsheng.ETOOMANY: 429, minsheng.EINTERNAL: 500,
		minsheng.EUNAVAILABLE: 503,
	} {
		err := fmt.Errorf("wrapped: %w", minsheng.Errorf(code, "中", "en"))
		if got := web.HTTPStatus(err); got != want {
			t.Errorf("%s: %d, want %d", code, got, want)
		}
	}
	if got := web.HTTPStatus(errors.New("disk on fire")); got != http.StatusInternalServerError {
		t.Errorf("a plain error: %d", got)
	}
}

// WriteError answers the one JSON shape, and hides the text of an error that is ours.
func TestWriteError(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	for _, tc := range []struct {
		err      error
		status   int
		code     string
		recorded bool
	}{
		{minsheng.Errorf(minsheng.ENOTFOUND, "没有", "none"), 404, minsheng.ENOTFOUND, false},
		{errors.New("secret path /srv/x"), 500, minsheng.EINTERNAL, true},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		web.WriteError(c, tc.err)
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != tc.status || body.Error.Code != tc.code || body.Error.Message != minsheng.ErrorMessage(tc.err) {
			t.Errorf("%v: %d %s", tc.err, w.Code, w.Body)
		}
		if (len(c.Errors) > 0) != tc.recorded {
			t.Errorf("%v: recorded for the log: %v", tc.err, c.Errors)
		}
	}
}
