#!/usr/bin/env bash
# PostGIS in and out: farmland and sources read from PG: connection strings (a table, or
# SQL), results written to a PostGIS schema, with the same results as the file paths.
#
# Starts a throwaway PostgreSQL server of its own: initdb in the scratch folder, listening
# on a unix socket there only (no TCP), trust authentication, stopped on exit. When no
# server can be started (PostgreSQL or PostGIS not installed, …) the test is skipped with a
# visible message (exit 77, which CTest reports as "Skipped") — except under
# SOILRISK_CI=1, where that is a failure: CI installs postgresql-15-postgis-3 (.ci/run).
source "$(dirname "$0")/lib.bash"

skip() {
  if [ "${SOILRISK_CI:-0}" = "1" ]; then
    echo "FAIL: $* (SOILRISK_CI=1: the PostGIS tests must run)"
    exit 1
  fi
  echo "SKIPPED: PostGIS tests: $*"
  echo "  install PostgreSQL with PostGIS to run them (Debian: apt-get install postgresql-15-postgis-3)"
  exit 77
}

# --- a throwaway server -----------------------------------------------------------
bindir="${SOILRISK_PG_BINDIR:-}"
if [ -z "$bindir" ]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { bindir="$d"; break; }
  done
fi
[ -z "$bindir" ] && command -v initdb >/dev/null && bindir="$(dirname "$(command -v initdb)")"
[ -n "$bindir" ] || skip "no PostgreSQL server binaries (initdb, pg_ctl) found"
command -v psql >/dev/null || skip "no psql client"
command -v ogr2ogr >/dev/null || skip "no ogr2ogr"
ogrinfo --formats 2>/dev/null | grep -q PostgreSQL || skip "GDAL has no PostgreSQL driver"

# The server refuses to run as root: then it runs as an unprivileged user, in a folder
# that user owns. Unix socket paths are limited to ~107 bytes.
pgdir="$WORK/pg"
[ ${#pgdir} -gt 80 ] && pgdir="$(mktemp -d /tmp/soilrisk-pg.XXXXXX)"
mkdir -p "$pgdir"
as_server=()
if [ "$(id -u)" = 0 ]; then
  server_user=postgres
  id "$server_user" >/dev/null 2>&1 || server_user=nobody
  command -v runuser >/dev/null || skip "running as root without runuser"
  chown "$server_user" "$pgdir"
  as_server=(runuser -u "$server_user" --)
  "${as_server[@]}" test -w "$pgdir" || {
    pgdir="$(mktemp -d /tmp/soilrisk-pg.XXXXXX)"
    chown "$server_user" "$pgdir"
    chmod 755 "$pgdir"
  }
fi
port=54329
stop_server() {
  "${as_server[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1
  case "$pgdir" in /tmp/soilrisk-pg.*) rm -rf "$pgdir" ;; esac
}
trap stop_server EXIT
(cd / && "${as_server[@]}" "$bindir/initdb" -D "$pgdir/data" -A trust -U soilrisk -E UTF8 \
  --locale=C.UTF-8 --no-sync >"$WORK/initdb.log" 2>&1) ||
  { sed 's/^/  | /' "$WORK/initdb.log" | tail -5; skip "initdb failed"; }
(cd / && "${as_server[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
  -o "-k $pgdir -c listen_addresses='' -p $port -c fsync=off -c full_page_writes=off" \
  start >/dev/null 2>&1) ||
  { sed 's/^/  | /' "$pgdir/server.log" | tail -5; skip "the server did not start"; }
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$port" -U soilrisk "$@"; }
psql_ -d postgres -c "CREATE DATABASE soilrisk_test" || skip "cannot create a database"
psql_ -d soilrisk_test -c "CREATE EXTENSION postgis" 2>"$WORK/postgis.log" ||
  { cat "$WORK/postgis.log"; skip "PostGIS is not installed for $bindir"; }
q() { psql_ -d soilrisk_test -At -c "$1"; }

# The password is never needed (trust) but must never show.
PGC="PG:host=$pgdir port=$port user=soilrisk dbname=soilrisk_test password=sekrit"
DEMO="$SRC/data/demo"
ogr2ogr -f PostgreSQL "$PGC" "$DEMO/farmland.gpkg" farmland || fail "loading farmland"
ogr2ogr -f PostgreSQL "$PGC" "$DEMO/mines.gpkg" mines || fail "loading mines"
ogr2ogr -f PostgreSQL "$PGC" "$DEMO/samples.gpkg" soil_samples || fail "loading samples"
[ "$(q 'SELECT count(*) FROM farmland')" -gt 1000 ] || fail "farmland not loaded"

F=(--farmland-field id=parcel_id --farmland-field category=category)
S=(--sources-field id=mine_id --sources-field name=name)
common=(--rings 0,500,1000,2000 --by county --quiet)

# --- 1. the same run from files and from PostGIS --------------------------------------
expect_exit 0 "$TOOL" near --farmland "$DEMO/farmland.gpkg" "${F[@]}" \
  --sources "$DEMO/mines.gpkg" --sources-layer mines "${S[@]}" "${common[@]}" \
  --out file.gpkg --table file.csv
# a table, and a query (which selects the table's fid, so the ids are the table's)
expect_exit 0 "$TOOL" near --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --sources "$PGC" --sources-sql "SELECT * FROM mines ORDER BY fid" "${S[@]}" "${common[@]}" \
  --out pgin.gpkg --table pgin.csv
for t in "" _nearest _ranking; do
  cmp -s "file$t.csv" "pgin$t.csv" || fail "file$t.csv and pgin$t.csv differ (PG: inputs)"
done
# a query with a filter = the file read with --farmland-where
expect_exit 0 "$TOOL" near --farmland "$DEMO/farmland.gpkg" "${F[@]}" --farmland-where "category = 3" \
  --sources "$DEMO/mines.gpkg" --sources-layer mines "${S[@]}" "${common[@]}" \
  --out file3.gpkg --table file3.csv
expect_exit 0 "$TOOL" near --farmland "$PGC" "${F[@]}" \
  --farmland-sql "SELECT fid, parcel_id, category, county, geom FROM farmland WHERE category = 3" \
  --sources "$PGC" --sources-layer mines "${S[@]}" "${common[@]}" --out sql3.gpkg --table sql3.csv
cmp -s file3.csv sql3.csv || fail "--farmland-sql differs from --farmland-where on the file"
# without the id column (rows numbered by the query; parcels named by parcel_id)
expect_exit 0 "$TOOL" near --farmland "$PGC" "${F[@]}" \
  --farmland-sql "SELECT parcel_id, category, county, geom FROM farmland WHERE category = 3 ORDER BY fid" \
  --sources "$PGC" --sources-layer mines "${S[@]}" "${common[@]}" --out sql3b.gpkg --table sql3b.csv
cmp -s file3.csv sql3b.csv || fail "--farmland-sql without fid differs from the file"
[ "$(lines_of file3.csv)" -gt 2 ] || fail "file3.csv is empty"

# --- 2. results written to a PostGIS schema -----------------------------------------
expect_exit 0 "$TOOL" near --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --sources "$PGC" --sources-layer mines "${S[@]}" "${common[@]}" \
  --out "$PGC" --schema results --table pgout.csv
cmp -s file.csv pgout.csv || fail "the table of the PostGIS run differs"
tables=$(q "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables
            WHERE table_schema = 'results'")
[ "$tables" = "near_pieces,near_pieces_nearest,near_ranking,near_rings,near_rings_nearest,near_summary,near_summary_nearest,soilrisk_about" ] ||
  fail "tables in schema results: $tables"
[ "$(q "SELECT Find_SRID('results', 'near_pieces', 'geom')")" = 4545 ] || fail "near_pieces SRID"
[ "$(q "SELECT count(*) FROM results.near_pieces WHERE NOT ST_IsValid(geom)")" = 0 ] ||
  fail "invalid geometries in results.near_pieces"
# Every layer, row by row with its geometry as WKT, as in the GeoPackage.
dump() { # SOURCE SQL OUT [DIALECT]
  ogr2ogr -f CSV -lco GEOMETRY=AS_WKT -lco LINEFORMAT=LF "$3" "$1" -sql "$2" ${4:+-dialect "$4"} \
    2>>dump.log
}
for l in near_pieces near_pieces_nearest near_rings near_rings_nearest near_summary \
         near_summary_nearest near_ranking; do
  # (OGR SQL: the layers' own field types, near_pieces_nearest being a view there)
  dump file.gpkg "SELECT * FROM $l ORDER BY FID" "gpkg_$l.csv" OGRSQL
  # (the GeoPackage's fid is the feature id, not a field; PostGIS: leave it out)
  cols=$(q "SELECT string_agg(quote_ident(column_name), ',' ORDER BY ordinal_position)
            FROM information_schema.columns
            WHERE table_schema = 'results' AND table_name = '$l' AND column_name <> 'fid'")
  dump "$PGC" "SELECT $cols FROM results.$l ORDER BY fid" "pg_$l.csv"
  [ -s "gpkg_$l.csv" ] || fail "cannot dump $l from file.gpkg"
  cmp -s "gpkg_$l.csv" "pg_$l.csv" || { fail "layer $l differs between GeoPackage and PostGIS";
                                          diff "gpkg_$l.csv" "pg_$l.csv" | head -5; }
done
n_file=$(ogrinfo -q -sql "SELECT count(*) AS n, sum(area_m2) AS a FROM near_pieces" file.gpkg |
         sed -n 's/.*n (Integer[0-9]*) = //p')
[ "$(q 'SELECT count(*) FROM results.near_pieces')" = "$n_file" ] || fail "piece counts differ"
[ "$(q "SELECT count(*) FROM results.soilrisk_about WHERE key = 'tool'")" = 1 ] ||
  fail "no provenance in results.soilrisk_about"
q "SELECT obj_description('results.near_pieces'::regclass)" | grep -q "soilrisk" ||
  fail "no comment on results.near_pieces"

# QGIS styles in public.layer_styles, as QGIS keeps them (xml columns: parsed documents)
[ "$(q "SELECT count(*) FROM public.layer_styles WHERE f_table_catalog = 'soilrisk_test'
        AND f_table_schema = 'results' AND f_geometry_column = 'geom' AND useasdefault")" = 4 ] ||
  fail "QGIS styles of results.* missing in public.layer_styles"
q "SELECT styleqml FROM public.layer_styles WHERE f_table_name = 'near_pieces'" |
  grep -q categorizedSymbol || fail "the style of near_pieces is not its QML"

# classify too (the writer is shared by the commands with GeoPackage outputs)
C=(--samples-field id=sample_id --method nearest --max-distance 500m --quiet)
expect_exit 0 "$TOOL" classify --farmland "$DEMO/farmland.gpkg" "${F[@]}" \
  --samples "$DEMO/samples.gpkg" --samples-layer soil_samples "${C[@]}" --out classify.gpkg
expect_exit 0 "$TOOL" classify --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --samples "$PGC" --samples-layer soil_samples "${C[@]}" --out "$PGC" --schema cls
expect_exit 1 "$TOOL" classify --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --samples "$PGC" --samples-layer soil_samples "${C[@]}" --out "$PGC" --schema cls
expect_in err.txt "table cls.parcels exists"
for l in parcels samples change_matrix changed_parcels; do
  dump classify.gpkg "SELECT * FROM $l ORDER BY fid" "gpkg_c_$l.csv"
  cols=$(q "SELECT string_agg(quote_ident(column_name), ',' ORDER BY ordinal_position)
            FROM information_schema.columns
            WHERE table_schema = 'cls' AND table_name = '$l' AND column_name <> 'fid'")
  dump "$PGC" "SELECT $cols FROM cls.$l ORDER BY fid" "pg_c_$l.csv"
  [ -s "gpkg_c_$l.csv" ] || fail "cannot dump $l from classify.gpkg"
  cmp -s "gpkg_c_$l.csv" "pg_c_$l.csv" || fail "classify layer $l differs between GeoPackage and PostGIS"
done

# --- 3. an existing table is replaced only with --overwrite, whole or not at all ------
expect_exit 1 "$TOOL" near --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --sources "$PGC" --sources-layer mines "${S[@]}" "${common[@]}" --out "$PGC" --schema results
expect_in err.txt "table results.near_pieces exists"
expect_in err.txt "--overwrite"
[ "$(lines_of err.txt)" = 1 ] || fail "the error is not one line"
# a view on near_rings: the replacement fails after near_pieces was already replaced
# (inside the transaction), and everything stays as it was
q "CREATE VIEW results.rings_view AS SELECT * FROM results.near_rings"
expect_exit 1 "$TOOL" near --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --sources "$PGC" --sources-layer mines "${S[@]}" --rings 0,1000 --quiet \
  --out "$PGC" --schema results --overwrite
expect_in err.txt "results.near_rings"
[ "$(q 'SELECT count(*) FROM results.near_pieces')" = "$n_file" ] ||
  fail "a failed overwrite changed results.near_pieces"
[ "$(q 'SELECT max(ring_to_m) FROM results.near_pieces')" = 2000 ] ||
  fail "a failed overwrite left the new rings"
q "DROP VIEW results.rings_view"
expect_exit 0 "$TOOL" near --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --sources "$PGC" --sources-layer mines "${S[@]}" --rings 0,1000 --quiet \
  --out "$PGC" --schema results --overwrite
[ "$(q 'SELECT max(ring_to_m) FROM results.near_pieces')" = 1000 ] || fail "--overwrite did not replace"
[ "$(q "SELECT count(*) FROM results.soilrisk_about WHERE key = 'tool'")" = 1 ] ||
  fail "provenance of the replaced output was not replaced"
[ "$(q "SELECT count(*) FILTER (WHERE useasdefault) || '/' || count(*) FROM public.layer_styles
        WHERE f_table_schema = 'results'")" = 4/8 ] || fail "styles after --overwrite: one default each"
# a user who may not write public.layer_styles: results without styles, and a warning
q "CREATE ROLE plain LOGIN; GRANT CREATE ON DATABASE soilrisk_test TO plain;
   GRANT SELECT ON ALL TABLES IN SCHEMA public TO plain"
expect_exit 0 "$TOOL" near --farmland "${PGC/user=soilrisk/user=plain}" --farmland-layer farmland \
  "${F[@]}" --sources "${PGC/user=soilrisk/user=plain}" --sources-layer mines "${S[@]}" \
  --out "${PGC/user=soilrisk/user=plain}" --schema plain_results
expect_in err.txt "without QGIS styles"
[ "$(q 'SELECT count(*) FROM plain_results.near_pieces')" = "$n_file" ] ||
  fail "results of a user without access to public.layer_styles"
# the default schema
expect_exit 0 "$TOOL" near --farmland "$PGC" --farmland-layer farmland "${F[@]}" \
  --sources "$PGC" --sources-layer mines "${S[@]}" "${common[@]}" --out "$PGC"
[ "$(q 'SELECT count(*) FROM soilrisk.near_pieces')" = "$n_file" ] || fail "default schema soilrisk"

# --- 4. errors: one line, what to do, never the password ----------------------------
expect_exit 1 "$TOOL" near --farmland "PG:host=$pgdir port=1 dbname=nowhere password=sekrit" \
  --sources "$PGC" --sources-layer mines --out e.gpkg
expect_in err.txt "cannot connect to PostgreSQL"
expect_in err.txt "password=***"
expect_in err.txt "check the connection string"
[ "$(lines_of err.txt)" = 1 ] || fail "the connection error is not one line"
expect_exit 1 "$TOOL" near --farmland "$PGC" --farmland-layer farmlnd \
  --sources "$PGC" --sources-layer mines --out e.gpkg
expect_in err.txt "has no layer 'farmlnd'; layers are: "
expect_in err.txt "farmland, "   # (public.farmland once the user's own schema exists)
expect_exit 1 "$TOOL" near --farmland "$PGC" --farmland-sql "SELECT * FROM farmlnd" \
  --sources "$PGC" --sources-layer mines --out e.gpkg
expect_in err.txt "relation \"farmlnd\" does not exist"
[ "$(lines_of err.txt)" = 1 ] || fail "the query error is not one line"
expect_exit 1 "$TOOL" near --farmland "$PGC" --farmland-layer farmland \
  --sources "$PGC" --sources-layer mines --out "PG:host=$pgdir port=1 dbname=x password=sekrit"
expect_in err.txt "output 'PG:"
expect_in err.txt "cannot connect to PostgreSQL"
expect_exit 2 "$TOOL" near --farmland "$PGC" --farmland-layer farmland \
  --sources "$PGC" --sources-layer mines --out e.gpkg --schema results
expect_in err.txt "--schema"
[ ! -e e.gpkg ] || fail "a failed run left e.gpkg"

# --- info on a table and on a query
expect_exit 0 "$TOOL" info "$PGC" --layer farmland
expect_in out.txt "PostgreSQL"
expect_not_in out.txt "sekrit"
expect_exit 0 "$TOOL" info "$PGC" --sql "SELECT * FROM mines WHERE mine_id = 'M1'" --json
python3 -c 'import json,sys; d=json.load(open("out.txt")); d=d[0] if isinstance(d,list) else d; sys.exit(0 if d["feature_count"]==1 else 1)' ||
  fail "info --sql: not one feature: $(head -c 300 out.txt)"

# --- 5. a project file: layers and the near step's output in PostGIS ------------------
mkdir -p proj
cat >proj/project.toml <<TOML
[project]
name = "PostGIS"

[layers.farmland]
path = "$PGC"
layer = "farmland"
fields = { id = "parcel_id", category = "category", county = "county" }

[layers.mines]
path = "$PGC"
sql = "SELECT * FROM mines ORDER BY fid"
fields = { id = "mine_id", name = "name" }

[[steps]]
type = "near"
name = "near_mines"
farmland = "farmland"
sources = "mines"
rings = [0, 500, 1000, 2000]
by = "county"
out = "$PGC"
schema = "proj"
table = "near_mines.csv"
TOML
expect_exit 0 "$TOOL" run proj/project.toml --out proj/out --quiet
cmp -s file.csv proj/out/near_mines.csv || fail "the project's near table differs"
[ "$(q 'SELECT count(*) FROM proj.near_pieces')" = "$n_file" ] || fail "project output in schema proj"
expect_in proj/out/manifest.json "password=***"
expect_in proj/out/manifest.json '"sql": "SELECT * FROM mines ORDER BY fid"'

# The password shows nowhere.
! grep -rqs sekrit out.txt err.txt proj/out/manifest.json proj/out/report.html ||
  fail "the password is in an output"
q "SELECT value FROM results.soilrisk_about" | grep -q sekrit && fail "the password is in soilrisk_about"
ogrinfo -q file.gpkg >/dev/null
ogrinfo pgin.gpkg 2>/dev/null | grep -q sekrit && fail "the password is in the GeoPackage metadata"

finish
