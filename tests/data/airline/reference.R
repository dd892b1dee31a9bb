# Reference values for the airline-style fixture (airline.csv, made by make.py), computed
# independently of keydriver with base R only:
#   - the 0/1 coding of the text outcome ("satisfied" = 1), 0 = "not applicable" in the
#     ratings set to NA, complete cases (listwise);
#   - R² of lm() on every one of the 2^14 subsets of the services, fed to the exact
#     all-subsets LMG (Shapley) formula;
#   - the logit of the positive class, glm(binomial), as odds ratios;
#   - % satisfied with its binomial SE over all answers.
# Run by hand:  Rscript tests/data/airline/reference.R  (writes reference.json beside it)
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "airline.csv"), check.names = FALSE, stringsAsFactors = FALSE)
services <- names(d)[9:22]
X <- d[services]
X[X == 0] <- NA
y <- as.numeric(d$satisfaction == "satisfied")
m <- cbind(X, y = y)
m <- m[complete.cases(m), ]
p <- length(services)

r2 <- numeric(2^p)  # r2[mask + 1]: R² of the drivers in bit mask `mask`
for (mask in 1:(2^p - 1)) {
  cols <- services[bitwAnd(mask, 2^(0:(p - 1))) > 0]
  f <- lm(m$y ~ ., data = m[, cols, drop = FALSE])
  r2[mask + 1] <- summary(f)$r.squared
}
bits <- function(mask) sum(bitwAnd(mask, 2^(0:(p - 1))) > 0)
size <- sapply(0:(2^p - 1), bits)
shapley <- numeric(p)
for (j in 1:p) {
  bit <- 2^(j - 1)
  without <- which(bitwAnd(0:(2^p - 1), bit) == 0) - 1
  k <- size[without + 1]
  weight <- factorial(k) * factorial(p - k - 1) / factorial(p)
  shapley[j] <- sum(weight * (r2[without + bit + 1] - r2[without + 1]))
}
g <- glm(m$y ~ ., data = m[, services], family = binomial())
or <- exp(coef(g)[-1])
share <- 100 * mean(y)
se <- 100 * sqrt(mean(y) * (1 - mean(y)) / length(y))

num <- function(x) sprintf("%.15g", x)
lines <- c(
  "{",
  sprintf('  "n_used": %d,', nrow(m)),
  sprintf('  "r2": %s,', num(r2[2^p])),
  sprintf('  "score": %s,', num(share)),
  sprintf('  "se": %s,', num(se)),
  '  "drivers": ['
)
for (j in 1:p) {
  lines <- c(lines, sprintf('    {"name": "%s", "shapley": %s, "positive_odds_ratio": %s}%s',
    services[j], num(shapley[j]), num(or[j]), if (j < p) "," else ""))
}
lines <- c(lines, "  ]", "}")
writeLines(lines, file.path(here, "reference.json"))
