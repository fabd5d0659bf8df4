package whatfix

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestColumnName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Flow Name", "flow_name"},
		{"flowName", "flow_name"},
		{"Flow ID", "flow_id"},
		{"flowId", "flow_id"},
		{"Completion Rate (%)", "completion_rate_pct"},
		{"completionRate", "completion_rate"},
		{"# of Users", "num_of_users"},
		{"Avg. Time to Complete (s)", "avg_time_to_complete_s"},
		{"avgTimeToComplete", "avg_time_to_complete"},
		{"HTTPStatus", "http_status"},
		{"userID", "user_id"},
		{"top10Flows", "top_10_flows"},
		{"  Views  ", "views"},
		{"Views/Day", "views_day"},
		{"Shown & Clicked", "shown_and_clicked"},
		{"7-Day Active Users", "c_7_day_active_users"},
		{"Durée moyenne", "duree_moyenne"},
		{"Größe", "grosse"},
		{"ÉTAT", "etat"},
		{"Nombre de Usuarios (ñ)", "nombre_de_usuarios_n"},
		{"Имя Пользователя", "имя_пользователя"},
		{"名前", "名前"},
		{"user-email", "user_email"},
		{"___", ""},
		{"", ""},
		{"already_snake_case", "already_snake_case"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, ColumnName(tc.in))
		})
	}
}

func TestColumnNames(t *testing.T) {
	for _, tc := range []struct {
		name     string
		headers  []string
		reserved []string
		want     []string
	}{
		{"distinct", []string{"Flow Name", "Views"}, nil, []string{"flow_name", "views"}},
		{"duplicates get suffixes", []string{"Views", "views", "VIEWS"}, nil, []string{"views", "views_2", "views_3"}},
		{"suffix skips a real column", []string{"Views", "Views", "Views 2"}, nil, []string{"views", "views_3", "views_2"}},
		{"styles collide", []string{"Flow Name", "flowName"}, nil, []string{"flow_name", "flow_name_2"}},
		{"blank names by position", []string{"Views", "", "%%%"}, nil, []string{"views", "column_2", "pct_pct_pct"}},
		{"nothing usable", []string{"a", "---"}, nil, []string{"a", "column_2"}},
		{"reserved names are not shadowed", []string{"Report Date", "Account ID", "Flow Name"}, []string{"report_date", "account_id", "_extra"}, []string{"report_date_2", "account_id_2", "flow_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ColumnNames(tc.headers, tc.reserved...))
		})
	}
}
