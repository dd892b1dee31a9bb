# lavaan's ML correlation matrix of blanks.csv under missing-at-random (see make.py).
library(lavaan)
d <- read.csv("blanks.csv")
vars <- c("d1", "d2", "d3", "d4", "d5", "y")
fit <- lavCor(d[, vars], missing = "ml", output = "fit")
s <- lavInspect(fit, "sampstat")
cov <- s$cov[vars, vars]
cor <- cov2cor(cov)
out <- list(lavaan = as.character(packageVersion("lavaan")), variables = vars,
            complete_rows = sum(complete.cases(d[, vars])),
            correlation = unname(lapply(seq_along(vars), function(i) unname(cor[i, ]))),
            mean = unname(s$mean[vars]))
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "lavaan.json")
