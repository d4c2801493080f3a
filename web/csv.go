package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// writeCSV answers with a CSV attachment: one header row, then rows. Every
// cell that a spreadsheet would read as a formula (it starts with = + - @, or
// a tab or carriage return that some spreadsheets strip first) gets a leading
// apostrophe, so an intent name or reason typed by someone cannot run in the
// analyst's spreadsheet (CSV injection). Negative numbers get one too,
// which is the price of the rule being simple; kefu's tables hold none.
func writeCSV(c echo.Context, filename string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(safeCSVRow(header)); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	for _, r := range rows {
		if err := w.Write(safeCSVRow(r)); err != nil {
			return fmt.Errorf("write csv row: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// safeCSVRow returns the row with formula-like cells neutralised.
func safeCSVRow(row []string) []string {
	out := make([]string, len(row))
	for i, v := range row {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			v = "'" + v
		}
		out[i] = v
	}
	return out
}
