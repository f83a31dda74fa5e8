// Command bare is the yardstick of the API benchmark: a Gin server with nothing but one route,
// answering a fixed JSON body from memory. `make bench` loads it beside `minsheng serve` with the
// same bytes, so the ratio is what minsheng's routing, middleware and answers cost over Gin itself.
//
//	bare --addr 127.0.0.1:8081 --body targets.json   # or --size N for N bytes of generated JSON
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "where to listen")
	bodyFile := flag.String("body", "", "a file whose bytes every request is answered with")
	size := flag.Int("size", 4096, "without --body: the size of a generated JSON answer, in bytes")
	flag.Parse()
	body, err := answer(*bodyFile, *size)
	if err != nil {
		log.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	h := func(c *gin.Context) { c.Data(200, "application/json; charset=utf-8", body) }
	r.GET("/api/v1/targets", h)
	r.GET("/healthz", func(c *gin.Context) { c.Data(200, "application/json; charset=utf-8", []byte(`{"status":"ok"}`)) })
	log.Fatal(r.Run(*addr))
}

// answer is the fixed body: a file's bytes, or a JSON object padded to size bytes.
func answer(file string, size int) ([]byte, error) {
	if file != "" {
		return os.ReadFile(file)
	}
	head := `{"year":2024,"pad":"`
	tail := `"}`
	if size < len(head)+len(tail) {
		return nil, fmt.Errorf("--size %d is too small for a JSON object", size)
	}
	return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail), nil
}
