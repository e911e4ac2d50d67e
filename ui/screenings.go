package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// maxUpload bounds a form the console reads (a screening's file the largest); the
// API applies its own body limit (http.max_body_bytes) after.
const maxUpload = 8 << 20

// readForm reads a POST's form, urlencoded or multipart, within maxUpload: a larger
// one is refused with 413, a malformed one with 400.
func (c *call) readForm() error {
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, maxUpload)
	var err error
	if mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = c.r.ParseMultipartForm(1 << 20)
	} else {
		err = c.r.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &pageError{status: http.StatusRequestEntityTooLarge, title: "error.bad", body: "screen.toolarge"}
	case err != nil:
		return &pageError{status: http.StatusBadRequest, title: "error.bad", detail: "form: " + err.Error()}
	}
	return nil
}

// screeningView is the screening page: the form, and the results of an upload.
type screeningView struct {
	File   string
	Result *screeningJSON
}

// Verdicts of a screening, in the order the page counts them.
func (v *screeningView) Verdicts() []string { return []string{"pass", "caution", "reject", "error"} }

// screeningsPage shows the upload form (重点产业及优质企业筛选). The API decides who
// may screen when the form is sent.
func (s *Server) screeningsPage(c *call) error {
	return c.render(http.StatusOK, "screenings", c.t("screen.title"), &screeningView{})
}

// postScreening sends the uploaded file to POST /api/v1/screenings: a .csv file
// (a uscc column) as text/csv, a .ndjson or .jsonl file as application/x-ndjson, as
// chainriskctl screen sends them. With format=csv the API's CSV answer is the
// download; otherwise the page shows the results.
func (s *Server) postScreening(c *call) error {
	if c.r.MultipartForm == nil {
		return &pageError{status: http.StatusBadRequest, title: "error.bad", body: "screen.nofile"}
	}
	defer func() { _ = c.r.MultipartForm.RemoveAll() }()
	file, hdr, err := c.r.FormFile("targets")
	if err != nil {
		return &pageError{status: http.StatusBadRequest, title: "error.bad", body: "screen.nofile"}
	}
	defer file.Close()
	ctype, ok := uploadType(hdr)
	if !ok {
		return &pageError{status: http.StatusUnsupportedMediaType, title: "error.bad", body: "screen.badtype", detail: hdr.Filename}
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &pageError{status: http.StatusBadRequest, title: "error.bad", body: "screen.empty", detail: hdr.Filename}
	}
	format := "json"
	if c.r.FormValue("format") == "csv" {
		format = "csv"
	}
	b, err := c.callAPI(http.MethodPost, "/screenings", url.Values{"format": {format}}, ctype, bytes.NewReader(data), http.StatusOK)
	if err != nil {
		return refusal(err)
	}
	if format == "csv" {
		h := c.w.Header()
		h.Set("Content-Type", b.header.Get("Content-Type"))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", `attachment; filename="screening.csv"`)
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(b.body.Bytes())
		return nil
	}
	v := &screeningView{File: hdr.Filename, Result: &screeningJSON{}}
	if err := json.Unmarshal(b.body.Bytes(), v.Result); err != nil {
		return err
	}
	return c.render(http.StatusOK, "screenings", c.t("screen.title"), v)
}

// uploadType is the Content-Type the API takes for an uploaded file, by its name.
func uploadType(h *multipart.FileHeader) (string, bool) {
	switch strings.ToLower(path.Ext(h.Filename)) {
	case ".csv", ".txt":
		return "text/csv", true
	case ".ndjson", ".jsonl":
		return "application/x-ndjson", true
	}
	return "", false
}
