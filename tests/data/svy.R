# Reference values for weighted standard errors: R's survey package (design-based,
# sampling weights) and lm(weights =) (frequency weights). Run by hand, not in CI:
#   Rscript tests/data/svy.R   (from the project root; Debian: r-base-core r-cran-survey)
# Writes tests/data/svy-weighted.csv (the data) and tests/data/svy-expected.json.
suppressMessages(library(survey))
set.seed(20251231)
n <- 150
g <- runif(n, -1, 1)
rate <- function() pmin(10, pmax(1, round(5.5 + 3 * g + 2 * runif(n, -1, 1))))
a <- rate(); b <- rate(); c <- rate()
ltr <- pmin(10, pmax(0, round(0.45 * a + 0.3 * b + 0.15 * c + 2 + runif(n, -2.5, 2.5))))
# Weights that depend on a rating, so design-based and model-based SEs differ.
w <- round(0.4 + 0.25 * a + runif(n, 0, 1.5), 3)
d <- data.frame(id = sprintf("r%03d", 1:n), a = a, b = b, c = c, ltr = ltr, w = w)
write.csv(d, "tests/data/svy-weighted.csv", row.names = FALSE, quote = FALSE)

d$score <- ifelse(d$ltr >= 9, 100, ifelse(d$ltr >= 7, 0, -100))
des <- svydesign(ids = ~1, weights = ~w, data = d)
sv <- coef(summary(svyglm(ltr ~ a + b + c, design = des)))
lw <- coef(summary(lm(ltr ~ a + b + c, data = d, weights = w)))
m <- svymean(~score, des)

num <- function(x) sprintf("%.15g", x)
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
json <- paste0(
  "{\n",
  '  "source": "R ', R.version$major, ".", R.version$minor, ", survey ", packageVersion("survey"),
  ': svydesign(ids = ~1, weights = ~w); svyglm(ltr ~ a + b + c); svymean(~score) with score = 100/0/-100; lm(ltr ~ a + b + c, weights = w)",\n',
  '  "drivers": ["a", "b", "c"],\n',
  '  "coef": ', vec(sv[2:4, 1]), ",\n",
  '  "svyglm_se": ', vec(sv[2:4, 2]), ",\n",
  '  "svyglm_p": ', vec(sv[2:4, 4]), ",\n",
  '  "lm_se": ', vec(lw[2:4, 2]), ",\n",
  '  "lm_p": ', vec(lw[2:4, 4]), ",\n",
  '  "nps": ', num(coef(m)[1]), ",\n",
  '  "nps_se": ', num(SE(m)[1]), "\n",
  "}\n"
)
cat(json, file = "tests/data/svy-expected.json")
