//! What every target does with a load result: a model that loads must score and explain a few
//! rows without panicking; an error must be one readable line.

use mizan_explain::{ExplainError, Model, ModelBody, shap};

pub fn check(result: Result<Model, ExplainError>) {
    match result {
        Ok(m) => {
            let n = m.n_features();
            let rows = [vec![0.0; n], vec![f64::NAN; n], (0..n).map(|i| i as f64 - 1.5).collect()];
            let explainer = shap::Explainer::new(m.clone());
            for x in &rows {
                let margins = m.predict_margin(x).expect("a row of the model's width scores");
                assert_eq!(margins.len(), m.n_outputs());
                for o in 0..m.n_outputs() {
                    let e = explainer.explain("h", x, o).expect("a row of the model's width explains");
                    assert_eq!(e.phi.len(), n);
                }
            }
            if let ModelBody::Trees(_) = m.body {
                shap::explain_interventional(&m, "h", &rows[0], &rows[1..], 0).expect("explains");
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "unreadable message: {msg}");
        }
    }
}
