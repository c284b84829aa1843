#!/usr/bin/env bash
# Benchmark of `soilrisk near` against the equivalent PostGIS SQL.
#
# Workload (scripts/bench/gen_parcels.cpp): N irregular parcels of 20–60 vertices tiling
# a region (1 ha each), categories 1/2/3, 50 mine points; rings 500/1000/2000 m, planar
# areas, EPSG:4545. For each size: soilrisk's wall time and peak memory (/usr/bin/time -v,
# reading and writing included; each run writes a new output file), median of RUNS
# runs after one untimed warm-up run; then, when PostGIS is available,
# the same analysis in SQL (ST_Buffer quad_segs=65, ST_Difference, ST_Intersects on a GiST
# index, ST_Intersection, ST_Area) on the same data loaded into a throwaway server on a
# Unix socket, timed without loading (median of RUNS after a warm-up run), and the totals per
# (source, ring, category) compared (relative difference must be <= 1e-6).
#
# Usage: scripts/bench_near.sh [--install] [--sizes "100000 1000000"] [--runs 3]
#                              [--tool PATH] [--work DIR] [--keep]
#   --install  apt-get install postgresql-15-postgis-3 when missing (needs root)
#   --tool     the soilrisk binary (default: build-near/soilrisk, then build/soilrisk)
#   --work     folder for data and outputs (default: /tmp/soilrisk-bench-near)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes="100000 1000000"
runs=3
install=0
keep=0
work=/tmp/soilrisk-bench-near
tool=""
while [ $# -gt 0 ]; do
    case $1 in
    --install) install=1 ;;
    --sizes) sizes=$2; shift ;;
    --runs) runs=$2; shift ;;
    --tool) tool=$2; shift ;;
    --work) work=$2; shift ;;
    --keep) keep=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$tool" ]; then
    for t in "$root/build-near/soilrisk" "$root/build/soilrisk"; do
        [ -x "$t" ] && tool=$t && break
    done
fi
[ -x "$tool" ] || { echo "soilrisk binary not found; build first or give --tool" >&2; exit 1; }
mkdir -p "$work"
work=$(cd "$work" && pwd)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }

# ---- workload -------------------------------------------------------------------------
gen=$work/gen_parcels
if [ ! -x "$gen" ] || [ "$root/scripts/bench/gen_parcels.cpp" -nt "$gen" ]; then
    c++ -O2 -std=c++17 $(gdal-config --cflags) "$root/scripts/bench/gen_parcels.cpp" -o "$gen" \
        $(gdal-config --libs)
fi
for n in $sizes; do
    if [ ! -s "$work/farmland_$n.gpkg" ]; then
        echo "generating $n parcels ..."
        rm -f "$work/farmland_$n.gpkg" "$work/mines_$n.gpkg"
        "$gen" "$n" "$work/farmland_$n.gpkg" "$work/mines_$n.gpkg" 50 1
    fi
done

echo "soilrisk: $tool ($(nproc) cores)"
# soilrisk first, for every size, with no database server running beside it.
declare -A lines sr_walls
for n in $sizes; do
    f=$work/farmland_$n.gpkg
    m=$work/mines_$n.gpkg
    out=$work/near_$n.gpkg
    # ---- soilrisk ----
    walls=()
    rss=()
    # One untimed run first (caches warm), as for the PostGIS SQL below.
    "$tool" near --farmland "$f" --sources "$m" --rings 500,1000,2000 --area planar \
        --crs EPSG:4545 --out "$out" --table "$work/near_$n.csv" --overwrite --quiet
    for ((r = 1; r <= runs; r++)); do
        # Each run writes a new output, as a first run does (untimed: replacing a 100 MB
        # file makes the kernel free its pages, 0.1-0.15 s, which PostGIS never does).
        rm -f "$out"
        /usr/bin/time -v -o "$work/time.txt" "$tool" near --farmland "$f" --sources "$m" \
            --rings 500,1000,2000 --area planar --crs EPSG:4545 --out "$out" \
            --table "$work/near_$n.csv" --overwrite --quiet
        w=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt" |
            awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
        k=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
        walls+=("$w")
        rss+=("$k")
        echo "  N=$n soilrisk run $r: ${w} s, peak ${k} kB"
    done
    sr_wall=$(printf '%s\n' "${walls[@]}" | median)
    sr_rss=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)
    sr_walls[$n]=$sr_wall
    lines[$n]="N=$n  soilrisk ${sr_wall} s (median of $runs; ${walls[*]}), peak $((sr_rss / 1024)) MB"
done

# ---- PostGIS (optional) ---------------------------------------------------------------
pg_ok=0
pgbin=/usr/lib/postgresql/15/bin
if [ ! -f /usr/share/postgresql/15/extension/postgis.control ] && [ $install = 1 ]; then
    echo "installing PostGIS ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15-postgis-3 >/dev/null
fi
pgdir=$work/pg
sock=$work/pgsock
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() { [ -d "$pgdir" ] && as_pg "$pgbin/pg_ctl" -D "$pgdir" -m fast stop >/dev/null 2>&1 || true; }
if [ -f /usr/share/postgresql/15/extension/postgis.control ] && [ -x "$pgbin/initdb" ]; then
    stop_pg
    rm -rf "$pgdir" "$sock"
    mkdir -p "$pgdir" "$sock"
    [ "$(id -u)" = 0 ] && chown postgres "$pgdir" "$sock"
    as_pg "$pgbin/initdb" -D "$pgdir" -U postgres -A trust >/dev/null
    as_pg "$pgbin/pg_ctl" -D "$pgdir" -l "$pgdir/server.log" -w \
        -o "-k $sock -c listen_addresses='' -p 54329 -c shared_buffers=1GB -c work_mem=256MB -c max_wal_size=4GB -c fsync=off" \
        start >/dev/null
    trap 'stop_pg; [ $keep = 1 ] || rm -rf "$pgdir"' EXIT
    psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p 54329 -U postgres "$@"; }
    psql_ -c "CREATE DATABASE bench" >/dev/null
    psql_ -d bench -c "CREATE EXTENSION postgis" >/dev/null
    pg_ok=1
    echo "PostGIS: $(psql_ -d bench -At -c 'SELECT postgis_full_version()' | cut -c1-80)"
else
    echo "PostGIS not installed (run with --install): soilrisk times only"
fi

summary=()
for n in $sizes; do
    f=$work/farmland_$n.gpkg
    m=$work/mines_$n.gpkg
    out=$work/near_$n.gpkg
    line=${lines[$n]}
    if [ $pg_ok = 1 ]; then
        t0=$(now)
        psql_ -d bench -c "DROP TABLE IF EXISTS farmland, mines" >/dev/null
        PG_USE_COPY=YES ogr2ogr -f PostgreSQL "PG:host=$sock port=54329 dbname=bench user=postgres" \
            "$f" farmland -nln farmland -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST \
            -lco FID=fid -gt 100000
        ogr2ogr -f PostgreSQL "PG:host=$sock port=54329 dbname=bench user=postgres" \
            "$m" mines -nln mines -lco GEOMETRY_NAME=geom
        psql_ -d bench -c "VACUUM ANALYZE farmland" -c "VACUUM ANALYZE mines" >/dev/null
        load=$(echo "$(now) - $t0" | bc)
        cat > "$work/near.sql" <<'SQL'
DROP TABLE IF EXISTS rings, result;
CREATE TABLE rings AS
SELECT m.mine_id, r.ring_from, r.ring_to,
       CASE WHEN r.ring_from = 0 THEN ST_Buffer(m.geom, r.ring_to, 'quad_segs=65')
            ELSE ST_Difference(ST_Buffer(m.geom, r.ring_to, 'quad_segs=65'),
                               ST_Buffer(m.geom, r.ring_from, 'quad_segs=65')) END AS geom
FROM mines m, (VALUES (0, 500), (500, 1000), (1000, 2000)) AS r(ring_from, ring_to);
CREATE INDEX ON rings USING gist (geom);
CREATE TABLE result AS
SELECT r.mine_id, r.ring_from, r.ring_to, f.category,
       count(*) AS parcels, sum(ST_Area(ST_Intersection(f.geom, r.geom))) AS area_m2
FROM rings r JOIN farmland f ON ST_Intersects(f.geom, r.geom)
GROUP BY 1, 2, 3, 4;
SQL
        pts=()
        psql_ -d bench -f "$work/near.sql" >/dev/null # untimed warm-up
        for ((r = 1; r <= runs; r++)); do
            t0=$(now)
            psql_ -d bench -f "$work/near.sql" >/dev/null
            t=$(echo "$(now) - $t0" | bc)
            pts+=("$t")
            echo "  N=$n PostGIS SQL run $r: ${t} s"
        done
        pg_wall=$(printf '%s\n' "${pts[@]}" | median)
        # The server's dirty pages written out now, not during the next soilrisk runs.
        psql_ -d bench -c "CHECKPOINT" >/dev/null
        psql_ -d bench -At -F, -c \
            "SELECT mine_id, ring_from, ring_to, category, area_m2 FROM result" > "$work/pg_$n.csv"
        sqlite3 -csv "$out" "SELECT source_id, ring_from_m, ring_to_m, category, area_m2 FROM near_summary WHERE source_id <> 'all' AND category <> 'all'" > "$work/sr_$n.csv"
        cmp=$(python3 - "$work/sr_$n.csv" "$work/pg_$n.csv" <<'PY'
import csv, sys
def load(p):
    d = {}
    for row in csv.reader(open(p)):
        k = (row[0], float(row[1]), float(row[2]), int(float(row[3])))
        d[k] = d.get(k, 0.0) + float(row[4])
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
worst, bad, keys = 0.0, 0, set(a) | set(b)
for k in keys:
    x, y = a.get(k, 0.0), b.get(k, 0.0)
    rel = abs(x - y) / max(abs(x), abs(y)) if max(abs(x), abs(y)) > 0 else 0.0
    worst = max(worst, rel)
    bad += rel > 1e-6
print(f"{len(keys)} (source, ring, category) totals, max relative difference {worst:.2e}, "
      f"{bad} above 1e-6; total {sum(a.values()):.2f} m2 vs {sum(b.values()):.2f} m2")
PY
)
        ratio=$(echo "scale=2; $pg_wall / ${sr_walls[$n]}" | bc)
        line="$line | PostGIS SQL ${pg_wall} s (median; ${pts[*]}; loading $(printf %.1f "$load") s) | PostGIS/soilrisk = ${ratio}x | $cmp"
    fi
    summary+=("$line")
done
echo
echo "== bench_near results =="
printf '%s\n' "${summary[@]}"
