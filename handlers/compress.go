package handlers

import (
	"bytes"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Compression: text answers go out compressed when the client accepts it,
// brotli before gzip. Cached pages (pagecache.go) are compressed once, at
// the best levels, when they are built; everything else is compressed as
// it is sent, at levels cheap enough to do per request.

// minCompress is the smallest body worth compressing: below it, the
// headers cost more than the bytes saved.
const minCompress = 1024

const (
	encBrotli = "br"
	encGzip   = "gzip"
)

var (
	varyKey           = []byte("Vary")
	acceptEncodingVal = []byte("Accept-Encoding")
)

// compressible reports whether a body of this type is text worth compressing.
func compressible(contentType []byte) bool {
	for _, p := range [][]byte{[]byte("text/"), []byte("application/json"), []byte("application/atom+xml"),
		[]byte("application/xml"), []byte("image/svg+xml"), []byte("application/javascript")} {
		if bytes.HasPrefix(contentType, p) {
			return true
		}
	}
	return false
}

// chooseEncoding picks brotli or gzip from an Accept-Encoding header, or
// "" for the body as it is. A coding with q=0 is refused; "*" stands for
// any coding the header does not name.
func chooseEncoding(header []byte) string {
	br, gz, star := -1.0, -1.0, -1.0
	// Cut rather than Split: no allocation, for every request.
	for len(header) > 0 {
		var part []byte
		part, header, _ = bytes.Cut(header, comma)
		name, params, _ := bytes.Cut(part, semicolon)
		name = bytes.TrimSpace(name)
		q := 1.0
		for len(params) > 0 {
			var p []byte
			p, params, _ = bytes.Cut(params, semicolon)
			k, v, ok := bytes.Cut(bytes.TrimSpace(p), equals)
			if k = bytes.TrimSpace(k); ok && len(k) == 1 && k[0]|0x20 == 'q' {
				f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		switch {
		case bytes.EqualFold(name, []byte(encBrotli)):
			br = q
		case bytes.EqualFold(name, []byte(encGzip)), bytes.EqualFold(name, []byte("x-gzip")):
			gz = q
		case string(name) == "*":
			star = q
		}
	}
	if br < 0 {
		br = star
	}
	if gz < 0 {
		gz = star
	}
	switch {
	case br > 0 && br >= gz:
		return encBrotli
	case gz > 0:
		return encGzip
	}
	return ""
}

var (
	semicolon = []byte(";")
	equals    = []byte("=")
)

// encodings is a cached body compressed once, each kept only when smaller.
type encodings struct {
	Brotli []byte
	Gzip   []byte
}

func compressOnce(body []byte, contentType string) encodings {
	var e encodings
	if len(body) < minCompress || !compressible([]byte(contentType)) {
		return e
	}
	if br := fasthttp.AppendBrotliBytesLevel(nil, body, fasthttp.CompressBrotliBestCompression); len(br) < len(body) {
		e.Brotli = br
	}
	if gz := fasthttp.AppendGzipBytesLevel(nil, body, fasthttp.CompressBestCompression); len(gz) < len(body) {
		e.Gzip = gz
	}
	return e
}

// pick returns the variant of body for the client's Accept-Encoding: the
// bytes to send and their coding ("" for body itself).
func (e encodings) pick(acceptEncoding []byte, body []byte) ([]byte, string) {
	switch chooseEncoding(acceptEncoding) {
	case encBrotli:
		if e.Brotli != nil {
			return e.Brotli, encBrotli
		}
	case encGzip:
		if e.Gzip != nil {
			return e.Gzip, encGzip
		}
	}
	return body, ""
}

// compressResponse compresses, as it is sent, any text answer the page
// cache did not already compress: rendered pages, JSON, feeds, CSS.
// Streamed bodies (exports) are left as they are.
func (s *Server) compressResponse(c *fiber.Ctx) error {
	err := c.Next()
	resp := c.Response()
	// A page from the page cache chose its variant already and says so
	// with its Vary; a page in a negotiated language varies by
	// Accept-Language too (policy_translations.go).
	vary := resp.Header.PeekBytes(varyKey)
	if resp.IsBodyStream() || len(resp.Header.ContentEncoding()) > 0 || bytes.Contains(vary, acceptEncodingVal) ||
		!compressible(resp.Header.ContentType()) {
		return err
	}
	if len(vary) > 0 {
		resp.Header.SetBytesKV(varyKey, append(append(append([]byte(nil), vary...), ", "...), acceptEncodingVal...))
	} else {
		resp.Header.AddBytesKV(varyKey, acceptEncodingVal)
	}
	body := resp.Body()
	if len(body) < minCompress {
		return err
	}
	switch chooseEncoding(c.Request().Header.PeekBytes(acceptEncodingKey)) {
	case encBrotli:
		out := fasthttp.AppendBrotliBytesLevel(nil, body, fasthttp.CompressBrotliDefaultCompression)
		resp.SetBodyRaw(out)
		resp.Header.SetContentEncoding(encBrotli)
	case encGzip:
		out := fasthttp.AppendGzipBytesLevel(nil, body, fasthttp.CompressDefaultCompression)
		resp.SetBodyRaw(out)
		resp.Header.SetContentEncoding(encGzip)
	}
	return err
}
