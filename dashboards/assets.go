package dashboards

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed assets/*.js assets/*.css assets/*.txt
var assetFS embed.FS

// asset is one embedded file, served under a URL that carries its checksum, so it can be cached
// for a year and a new binary's file is a new URL.
type asset struct {
	name, url, typ string
	raw, gz        []byte
	etag           string
}

type assets struct {
	byURL  map[string]*asset
	byName map[string]*asset
}

// staticPrefix is where assets are served: /static/<sha256[:12]>/<name>.
const staticPrefix = "/static/"

func loadAssets() *assets {
	a := &assets{byURL: map[string]*asset{}, byName: map[string]*asset{}}
	entries, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		panic(err) // embedded at build time: cannot fail at run time
	}
	for _, e := range entries {
		raw, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(raw)
		hash := hex.EncodeToString(sum[:])[:12]
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(raw)
		w.Close()
		typ := mime.TypeByExtension(path.Ext(e.Name()))
		if typ == "" || strings.HasSuffix(e.Name(), ".txt") {
			typ = "text/plain; charset=utf-8"
		}
		if !strings.Contains(typ, "charset") {
			typ += "; charset=utf-8"
		}
		as := &asset{name: e.Name(), url: staticPrefix + hash + "/" + e.Name(), typ: typ, raw: raw, gz: gz.Bytes(), etag: `"` + hash + `"`}
		a.byURL[as.url] = as
		a.byName[as.name] = as
	}
	return a
}

// URL is the checksummed address of an embedded asset.
func (a *assets) URL(name string) string {
	if as, ok := a.byName[name]; ok {
		return as.url
	}
	panic("dashboards: no asset " + name)
}

func (a *assets) serve(c *gin.Context) {
	as, ok := a.byURL[c.Request.URL.Path]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", as.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if c.GetHeader("If-None-Match") == as.etag {
		c.Status(http.StatusNotModified)
		return
	}
	body := as.raw
	if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
	}
	c.Data(http.StatusOK, as.typ, body)
}
