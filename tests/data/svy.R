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
quarter <- ifelse(runif(n) < 0.5, "2025Q3", "2025Q4")
d <- data.frame(id = sprintf("r%03d", 1:n), quarter = quarter, a = a, b = b, c = c, ltr = ltr, w = w)
write.csv(d, "tests/data/svy-weighted.csv", row.names = FALSE, quote = FALSE)

d$score <- ifelse(d$ltr >= 9, 100, ifelse(d$ltr >= 7, 0, -100))
des <- svydesign(ids = ~1, weights = ~w, data = d)
sv <- coef(summary(svyglm(ltr ~ a + b + c, design = des)))
lw <- coef(summary(lm(ltr ~ a + b + c, data = d, weights = w)))
m <- svymean(~score, des)

# Why NPS moved from 2025Q3 to 2025Q4 (Oaxaca-Blinder, pooled reference): the pooled
# weighted regression of the -100/0/100 score, times the change in weighted mean ratings.
pooled <- coef(lm(score ~ a + b + c, data = d, weights = w))[2:4]
wmean <- function(q, col) weighted.mean(d[d$quarter == q, col], d$w[d$quarter == q])
dm <- sapply(c("a", "b", "c"), function(v) wmean("2025Q4", v) - wmean("2025Q3", v))
points <- pooled * dm
change <- wmean("2025Q4", "score") - wmean("2025Q3", "score")

num <- function(x) sprintf("%.15g", x)
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
json <- paste0(
  "{\n",
  '  "source": "R ', R.version$major, ".", R.version$minor, ", survey ", packageVersion("survey"),
  ': svydesign(ids = ~1, weights = ~w); svyglm(ltr ~ a + b + c); svymean(~score) with score = 100/0/-100; lm(ltr ~ a + b + c, weights = w); decomposition 2025Q3 -> 2025Q4 from lm(score ~ a + b + c, weights = w) on both quarters",\n',
  '  "drivers": ["a", "b", "c"],\n',
  '  "coef": ', vec(sv[2:4, 1]), ",\n",
  '  "svyglm_se": ', vec(sv[2:4, 2]), ",\n",
  '  "svyglm_p": ', vec(sv[2:4, 4]), ",\n",
  '  "lm_se": ', vec(lw[2:4, 2]), ",\n",
  '  "lm_p": ', vec(lw[2:4, 4]), ",\n",
  '  "nps": ', num(coef(m)[1]), ",\n",
  '  "nps_se": ', num(SE(m)[1]), ",\n",
  '  "decomposition_coefficient": ', vec(pooled), ",\n",
  '  "decomposition_points": ', vec(points), ",\n",
  '  "decomposition_nps_change": ', num(change), ",\n",
  '  "decomposition_unexplained": ', num(change - sum(points)), "\n",
  "}\n"
)
cat(json, file = "tests/data/svy-expected.json")
