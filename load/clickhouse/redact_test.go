package clickhouse

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The DSN spells the password URL-escaped; a driver or server message may
// quote it escaped or decoded, and neither may reach a log line.
func TestRedactDSNErrorHidesBothSpellingsOfThePassword(t *testing.T) {
	dsn := "clickhouse://etl:p%40ss%2Fw0rd@db.internal:9000/analytics"
	err := redactDSNError(errors.New(`dial "etl:p%40ss%2Fw0rd@db.internal": auth failed for password "p@ss/w0rd"`), dsn)
	assert.NotContains(t, err.Error(), "w0rd")
	assert.Contains(t, err.Error(), "db.internal", "the rest of the message stays")
}
