package api

import (
	_ "embed"

	"github.com/gin-gonic/gin"
)

// openAPI documents every route (TestOpenAPIMatchesRoutes keeps the two in step).
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(c *gin.Context) { writeJSON(c, openAPI) }
