// PostGIS connection strings without a server: passwords kept out of messages, the output
// schema, and the errors a wrong connection gives (the server tests are tests/cli/postgis.sh).
#include <catch2/catch.hpp>

#include "soilrisk/core/error.hpp"
#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"

using namespace soilrisk;
using namespace soilrisk::io;

TEST_CASE("redact_password hides passwords in connection strings", "[io][postgis]") {
    CHECK(redact_password("PG:dbname=soil user=gis password=s3cret host=db") ==
          "PG:dbname=soil user=gis password=*** host=db");
    CHECK(redact_password("PG:dbname=soil password = 'with space' port=5432") ==
          "PG:dbname=soil password = *** port=5432");
    CHECK(redact_password("PG:dbname=soil password='it\\'s' user=x") ==
          "PG:dbname=soil password=*** user=x");
    CHECK(redact_password("PG:postgresql://gis:s3cret@db:5432/soil") ==
          "PG:postgresql://gis:***@db:5432/soil");
    CHECK(redact_password("PG:PASSWORD=abc") == "PG:PASSWORD=***");
    CHECK(redact_password("farmland.gpkg") == "farmland.gpkg");
    CHECK(redact_password("PG:dbname=soil user=gis") == "PG:dbname=soil user=gis");
}

TEST_CASE("is_postgis and is_connection_string", "[io][postgis]") {
    CHECK(is_postgis("PG:dbname=x"));
    CHECK(is_postgis("pg:dbname=x"));
    CHECK_FALSE(is_postgis("pg.gpkg"));
    CHECK(is_connection_string("PG:dbname=x"));
    CHECK(is_connection_string("/vsizip/a.zip/b.shp"));
    CHECK_FALSE(is_connection_string("data/farmland.gpkg"));
}

TEST_CASE("postgis_output sets the schema of a PG: output", "[io][postgis]") {
    CHECK(postgis_output("PG:dbname=soil", "results") == "PG:dbname=soil active_schema=results");
    CHECK(postgis_schema("PG:dbname=soil active_schema=results") == "results");
    CHECK(postgis_schema("PG:dbname=soil") == "public");
    CHECK(postgis_output("PG:dbname=soil active_schema=results", "results") ==
          "PG:dbname=soil active_schema=results");
    CHECK(postgis_output("PG:dbname=soil active_schema=a", "") == "PG:dbname=soil active_schema=a");
    CHECK_THROWS_AS(postgis_output("PG:dbname=soil active_schema=a", "b"), UsageError);
    CHECK_THROWS_AS(postgis_output("out.gpkg", "results"), UsageError);
    CHECK(postgis_output("out.gpkg", "") == "out.gpkg");
    CHECK(postgis_schema("PG:active_schema=first dbname=soil") == "first");
    CHECK(postgis_schema("PG:dbname=soil active_schema = 'a b'") == "a b");
    CHECK_THROWS_AS(postgis_output("PG:postgresql://gis@db/soil", "results"), UsageError);
    const std::string spaced = postgis_output("PG:dbname=soil", "my results");
    CHECK(spaced == "PG:dbname=soil active_schema='my results'");
    CHECK(postgis_schema(spaced) == "my results");
}

TEST_CASE("a PostGIS connection that fails is one line, without the password", "[io][postgis]") {
    // A socket folder that does not exist: libpq fails at once, no server needed.
    const std::string conn = "PG:host=/nonexistent-soilrisk-socket port=1 dbname=x password=s3cret";
    VectorInput in;
    in.role = "farmland";
    in.path = conn;
    in.layer = "farmland";
    try {
        VectorReader reader(in);
        FAIL("opened a PostGIS source that cannot exist");
    } catch (const IoError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("s3cret") == std::string::npos);
        CHECK(msg.find("password=***") != std::string::npos);
        CHECK(msg.find("cannot connect to PostgreSQL") != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
    }
    try {
        check_vector_output(conn, {"near_pieces"}, false);
        FAIL("connected to a PostGIS output that cannot exist");
    } catch (const IoError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("s3cret") == std::string::npos);
        CHECK(msg.find("cannot connect to PostgreSQL") != std::string::npos);
    }
    CHECK_THROWS_AS(GpkgWriter(conn, false), IoError);
}
